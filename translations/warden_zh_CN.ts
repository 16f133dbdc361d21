<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>ConfirmDialog</name>
    <message>
        <source>Reason (optional, written to the event log)</source>
        <translation>原因（可选，写入事件日志）</translation>
    </message>
</context>
<context>
    <name>ConnectionGroupModel</name>
    <message>
        <source>Connections: %1</source>
        <translation>连接数：%1</translation>
    </message>
    <message>
        <source>(not logged in)</source>
        <translation>（未登录）</translation>
    </message>
    <message>
        <source>%1 ago</source>
        <translation>%1 前</translation>
    </message>
</context>
<context>
    <name>ConnectionTableModel</name>
    <message>
        <source>(not logged in)</source>
        <translation>（未登录）</translation>
    </message>
    <message>
        <source>%1 ago</source>
        <translation>%1 前</translation>
    </message>
    <message>
        <source>ID</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <source>Session</source>
        <translation>会话</translation>
    </message>
    <message>
        <source>Peer</source>
        <translation>对端地址</translation>
    </message>
    <message>
        <source>Endpoint</source>
        <translation>端点</translation>
    </message>
    <message>
        <source>Connected for</source>
        <translation>已连接时长</translation>
    </message>
    <message>
        <source>Last activity</source>
        <translation>最近活动</translation>
    </message>
    <message>
        <source>Expires in</source>
        <translation>剩余过期时间</translation>
    </message>
    <message>
        <source>TCP state</source>
        <translation>TCP 状态</translation>
    </message>
    <message>
        <source>RTT</source>
        <translation>往返时延</translation>
    </message>
    <message>
        <source>Msgs in</source>
        <translation>收到消息</translation>
    </message>
    <message>
        <source>Msgs out</source>
        <translation>发出消息</translation>
    </message>
    <message>
        <source>Bytes in</source>
        <translation>收到字节</translation>
    </message>
    <message>
        <source>Bytes out</source>
        <translation>发出字节</translation>
    </message>
    <message>
        <source>%1 ms</source>
        <translation>%1 毫秒</translation>
    </message>
    <message>
        <source>Node</source>
        <translation>节点</translation>
    </message>
</context>
<context>
    <name>EventLogModel</name>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <source>Session</source>
        <translation>会话</translation>
    </message>
    <message>
        <source>Connection</source>
        <translation>连接</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>详情</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Logged in only</source>
        <translation>仅已登录</translation>
    </message>
    <message>
        <source>Expiring only</source>
        <translation>仅即将过期</translation>
    </message>
    <message>
        <source>Warden</source>
        <translation>Warden</translation>
    </message>
    <message>
        <source>Filter by user, session, address or id</source>
        <translation>按用户、会话、地址或 ID 筛选</translation>
    </message>
    <message>
        <source>&amp;Disconnect</source>
        <translation>断开连接(&amp;D)</translation>
    </message>
    <message>
        <source>Close the selected connection (4002); the client may reconnect, the session lives on</source>
        <translation>关闭所选连接（4002）；客户端可以重连，会话保留</translation>
    </message>
    <message>
        <source>&amp;Force logout</source>
        <translation>强制登出(&amp;F)</translation>
    </message>
    <message>
        <source>End the selected session on every tab (401 kicked, close 4502); its token is refused</source>
        <translation>在所有标签页结束所选会话（401 kicked，关闭码 4502）；其令牌此后被拒绝</translation>
    </message>
    <message>
        <source>Log out &amp;user everywhere</source>
        <translation>登出该用户的全部会话(&amp;U)</translation>
    </message>
    <message>
        <source>End every session of the selected user (close 4502), after showing what would close</source>
        <translation>先显示将被关闭的内容，再结束所选用户的每个会话（关闭码 4502）</translation>
    </message>
    <message>
        <source>&amp;Extend session</source>
        <translation>延长会话(&amp;E)</translation>
    </message>
    <message>
        <source>Give the selected session one more idle timeout; its tabs get &quot;extended&quot; and drop a warning</source>
        <translation>为所选会话再延长一个空闲超时；其标签页收到 &quot;extended&quot; 并撤销警告</translation>
    </message>
    <message>
        <source>Accept new &amp;connections</source>
        <translation>接受新连接(&amp;C)</translation>
    </message>
    <message>
        <source>Stop or resume listening for new connections; live connections stay</source>
        <translation>停止或恢复监听新连接；现有连接保持不变</translation>
    </message>
    <message>
        <source>&amp;Reload configuration</source>
        <translation>重新加载配置(&amp;R)</translation>
    </message>
    <message>
        <source>Read the configuration file again and apply it without dropping anyone; a bad file is refused</source>
        <translation>重新读取配置文件并在不断开任何人的情况下应用；错误的文件会被拒绝</translation>
    </message>
    <message>
        <source>&amp;Settings...</source>
        <translation>设置(&amp;S)...</translation>
    </message>
    <message>
        <source>Edit the listen address, timeouts, limits and secret</source>
        <translation>编辑监听地址、超时、限制和密钥</translation>
    </message>
    <message>
        <source>E&amp;xport event log...</source>
        <translation>导出事件日志(&amp;X)...</translation>
    </message>
    <message>
        <source>Save the events the log shows (with its filters) as CSV or JSON lines</source>
        <translation>将日志当前显示的事件（按筛选条件）保存为 CSV 或 JSON 行</translation>
    </message>
    <message>
        <source>C&amp;lear event log</source>
        <translation>清空事件日志(&amp;L)</translation>
    </message>
    <message>
        <source>Empty the event log view (the server keeps its own log)</source>
        <translation>清空事件日志视图（服务器保留自己的日志）</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>Stop the server gracefully (clients get 4001) and quit</source>
        <translation>平稳停止服务器（客户端收到 4001）并退出</translation>
    </message>
    <message>
        <source>Actions</source>
        <translation>操作</translation>
    </message>
    <message>
        <source>&amp;Server</source>
        <translation>服务器(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Connection</source>
        <translation>连接(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Events</source>
        <translation>事件(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;TCP states</source>
        <translation>TCP 状态(&amp;T)</translation>
    </message>
    <message>
        <source>Show or hide the panel of connections per TCP state</source>
        <translation>显示或隐藏按 TCP 状态统计连接的面板</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>All events</source>
        <translation>全部事件</translation>
    </message>
    <message>
        <source>Operator actions</source>
        <translation>管理员操作</translation>
    </message>
    <message>
        <source>Logins and logouts</source>
        <translation>登录与登出</translation>
    </message>
    <message>
        <source>Connections</source>
        <translation>连接</translation>
    </message>
    <message>
        <source>Server</source>
        <translation>服务器</translation>
    </message>
    <message>
        <source>Filter events by user, session, connection or details</source>
        <translation>按用户、会话、连接或详情筛选事件</translation>
    </message>
    <message>
        <source>Event log</source>
        <translation>事件日志</translation>
    </message>
    <message>
        <source>TCP states</source>
        <translation>TCP 状态</translation>
    </message>
    <message>
        <source>Show dashboard</source>
        <translation>显示控制台</translation>
    </message>
    <message>
        <source>Warden - not listening</source>
        <translation>Warden - 未监听</translation>
    </message>
    <message>
        <source>Not listening</source>
        <translation>未监听</translation>
    </message>
    <message>
        <source>Warden - %1</source>
        <translation>Warden - %1</translation>
    </message>
    <message>
        <source>Listening on %1</source>
        <translation>正在监听 %1</translation>
    </message>
    <message>
        <source>Reload refused: %1</source>
        <translation>重新加载被拒绝：%1</translation>
    </message>
    <message>
        <source>Configuration reloaded; nothing changed</source>
        <translation>配置已重新加载；没有变化</translation>
    </message>
    <message>
        <source>Configuration reloaded: %1</source>
        <translation>配置已重新加载：%1</translation>
    </message>
    <message>
        <source>Source: %1</source>
        <translation>数据来源：%1</translation>
    </message>
    <message>
        <source>Failed: %1</source>
        <translation>失败：%1</translation>
    </message>
    <message>
        <source>Connection %1 disconnected</source>
        <translation>连接 %1 已断开</translation>
    </message>
    <message>
        <source>Force logout</source>
        <translation>强制登出</translation>
    </message>
    <message>
        <source>End session %1 of %2 on every tab? Its tabs get 401 &quot;kicked&quot; and close 4502; its token is refused afterwards.</source>
        <translation>在所有标签页结束 %2 的会话 %1？其标签页将收到 401 &quot;kicked&quot; 并以 4502 关闭；此后其令牌会被拒绝。</translation>
    </message>
    <message>
        <source>Log out %1 everywhere?</source>
        <translation>在所有地方登出 %1？</translation>
    </message>
    <message>
        <source>Log out user everywhere</source>
        <translation>登出该用户的全部会话</translation>
    </message>
    <message>
        <source>Log out everywhere</source>
        <translation>全部登出</translation>
    </message>
    <message>
        <source>Session %1 extended until %2</source>
        <translation>会话 %1 已延长至 %2</translation>
    </message>
    <message>
        <source>Accepting new connections again</source>
        <translation>已恢复接受新连接</translation>
    </message>
    <message>
        <source>Not accepting new connections; live connections stay</source>
        <translation>不再接受新连接；现有连接保持不变</translation>
    </message>
    <message>
        <source>Export event log</source>
        <translation>导出事件日志</translation>
    </message>
    <message>
        <source>JSON lines (*.jsonl);;CSV (*.csv)</source>
        <translation>JSON 行 (*.jsonl);;CSV (*.csv)</translation>
    </message>
    <message>
        <source>Export failed: %1</source>
        <translation>导出失败：%1</translation>
    </message>
    <message>
        <source>Stopping the server...</source>
        <translation>正在停止服务器...</translation>
    </message>
    <message>
        <source>Session %1 ended; connections closed: %2</source>
        <translation>会话 %1 已结束；关闭的连接：%2</translation>
    </message>
    <message>
        <source>Sessions to end: %1</source>
        <translation>将结束的会话：%1</translation>
    </message>
    <message>
        <source>Connections to close: %1</source>
        <translation>将关闭的连接：%1</translation>
    </message>
    <message>
        <source>%1 logged out; sessions ended: %2</source>
        <translation>%1 已登出；结束的会话：%2</translation>
    </message>
    <message>
        <source>Events exported: %1, to %2</source>
        <translation>已导出事件：%1，保存到 %2</translation>
    </message>
    <message>
        <source>Export...</source>
        <translation>导出...</translation>
    </message>
    <message>
        <source>Source: waiting for the kernel&apos;s first report</source>
        <translation>数据来源：正在等待内核的首次报告</translation>
    </message>
    <message>
        <source>Source: none; the kernel TCP monitor is off ([tcp] poll_interval_ms = 0)</source>
        <translation>数据来源：无；内核 TCP 监视已关闭（[tcp] poll_interval_ms = 0）</translation>
    </message>
    <message>
        <source>Sockets without a session: %1</source>
        <translation>无会话的套接字：%1</translation>
    </message>
    <message>
        <source>Kernel sockets on Warden&apos;s port that no connection owns (not LISTEN): TIME_WAIT leftovers, CLOSE_WAIT leaks, handshakes in progress</source>
        <translation>Warden 端口上不属于任何连接的内核套接字（LISTEN 除外）：残留的 TIME_WAIT、泄漏的 CLOSE_WAIT、进行中的握手</translation>
    </message>
    <message>
        <source>Sockets without a session: unknown</source>
        <translation>无会话的套接字：未知</translation>
    </message>
    <message>
        <source>Load &amp;older events</source>
        <translation>加载更早的事件(&amp;O)</translation>
    </message>
    <message>
        <source>Put older events from the server&apos;s store in front of the log (up to 20,000 rows)</source>
        <translation>从服务器的存储中把更早的事件加到日志前面（最多 20,000 行）</translation>
    </message>
    <message>
        <source>Re&amp;start server...</source>
        <translation>重启服务器(&amp;S)...</translation>
    </message>
    <message>
        <source>Stop and start the server on the same port: clients get 4000 &quot;restarting&quot; and reconnect; sessions stay</source>
        <translation>在同一端口上停止并重新启动服务器：客户端收到 4000 &quot;restarting&quot; 后重连；会话保留</translation>
    </message>
    <message>
        <source>Load older</source>
        <translation>加载更早的</translation>
    </message>
    <message>
        <source>Up: %1   Connections: %2   Sessions: %3   Events/s: %4</source>
        <translation>运行时间：%1   连接：%2   会话：%3   事件/秒：%4</translation>
    </message>
    <message>
        <source>Store: none (sessions in memory only)</source>
        <translation>存储：无（会话仅保存在内存中）</translation>
    </message>
    <message>
        <source>Store: %1</source>
        <translation>存储：%1</translation>
    </message>
    <message>
        <source>%1 (not open)</source>
        <translation>%1（未打开）</translation>
    </message>
    <message>
        <source>The event log is full (%1 rows): clear it to load older events</source>
        <translation>事件日志已满（%1 行）：清空后才能加载更早的事件</translation>
    </message>
    <message>
        <source>No store: the server keeps no older events</source>
        <translation>没有存储：服务器不保留更早的事件</translation>
    </message>
    <message>
        <source>Older events loaded: %1</source>
        <translation>已加载更早的事件：%1</translation>
    </message>
    <message>
        <source>No older events in the store</source>
        <translation>存储中没有更早的事件</translation>
    </message>
    <message>
        <source>Restart server</source>
        <translation>重启服务器</translation>
    </message>
    <message>
        <source>Restart the server on %1? Every client is closed with 4000 &quot;restarting&quot; and reconnects; sessions and revocations stay.</source>
        <translation>重启 %1 上的服务器？所有客户端将以 4000 &quot;restarting&quot; 关闭并重连；会话和吊销记录保留。</translation>
    </message>
    <message>
        <source>its port</source>
        <translation>其端口</translation>
    </message>
    <message>
        <source>Restart</source>
        <translation>重启</translation>
    </message>
    <message>
        <source>Restarting the server...</source>
        <translation>正在重启服务器...</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>Configuration reloaded. Applied live: %1. Needs a restart (Server &gt; Restart server): %2</source>
        <translation>配置已重新加载。已即时生效：%1。需要重启（服务器 &gt; 重启服务器）：%2</translation>
    </message>
    <message>
        <source>Show only the connections of one user</source>
        <translation>只显示某一用户的连接</translation>
    </message>
    <message>
        <source>All users</source>
        <translation>所有用户</translation>
    </message>
    <message>
        <source>&amp;Group by session</source>
        <translation>按会话分组(&amp;G)</translation>
    </message>
    <message>
        <source>Show the connections grouped under their session, with its number of connections and expiry; actions on a session row apply to the whole session</source>
        <translation>按会话分组显示连接，并显示每个会话的连接数和过期时间；对会话行执行的操作作用于整个会话</translation>
    </message>
    <message>
        <source>Connections disconnected: %1</source>
        <translation>已断开的连接：%1</translation>
    </message>
    <message numerus="yes">
        <source>Cluster: %n node(s)</source>
        <translation>
            <numerusform>集群：%n 个节点</numerusform>
        </translation>
    </message>
    <message>
        <source>This node is %1; Redis is reachable</source>
        <translation>本节点为 %1；Redis 可达</translation>
    </message>
    <message>
        <source>Cluster: Redis unreachable</source>
        <translation>集群：Redis 不可达</translation>
    </message>
    <message>
        <source>This node is %1; it serves its own connections until Redis is back</source>
        <translation>本节点为 %1；在 Redis 恢复之前仅服务本节点的连接</translation>
    </message>
    <message>
        <source>This node</source>
        <translation>本节点</translation>
    </message>
    <message>
        <source>Whole cluster</source>
        <translation>整个集群</translation>
    </message>
    <message>
        <source>Show this node&apos;s connections, or every node&apos;s (read from Redis every 2 seconds; rows of other nodes can be disconnected and logged out)</source>
        <translation>显示本节点的连接，或所有节点的连接（每 2 秒从 Redis 读取；其他节点的行可以断开连接和强制登出）</translation>
    </message>
    <message>
        <source>Connection %1 on %2 disconnected</source>
        <translation>%2 上的连接 %1 已断开</translation>
    </message>
    <message>
        <source>Whole cluster: Redis is unreachable; other nodes&apos; connections are not shown</source>
        <translation>整个集群：Redis 不可达；不显示其他节点的连接</translation>
    </message>
    <message>
        <source>(no answer from %1: not counted)</source>
        <translation>（%1 未应答：未计入）</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source> s</source>
        <translation> 秒</translation>
    </message>
    <message>
        <source>Show</source>
        <translation>显示</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>ADDR:PORT, [::1]:PORT for IPv6; port 0 = any free port</source>
        <translation>地址:端口，IPv6 写作 [::1]:端口；端口 0 表示任意空闲端口</translation>
    </message>
    <message>
        <source> bytes</source>
        <translation> 字节</translation>
    </message>
    <message>
        <source> ms</source>
        <translation> 毫秒</translation>
    </message>
    <message>
        <source>empty: generated secret in %1</source>
        <translation>留空：使用 %1 中自动生成的密钥</translation>
    </message>
    <message>
        <source>Listen address:</source>
        <translation>监听地址：</translation>
    </message>
    <message>
        <source>Idle timeout:</source>
        <translation>空闲超时：</translation>
    </message>
    <message>
        <source>Warning before logout:</source>
        <translation>登出前警告：</translation>
    </message>
    <message>
        <source>Login timeout:</source>
        <translation>登录超时：</translation>
    </message>
    <message>
        <source>Largest message:</source>
        <translation>最大消息：</translation>
    </message>
    <message>
        <source>Handshake timeout:</source>
        <translation>握手超时：</translation>
    </message>
    <message>
        <source>JWT secret:</source>
        <translation>JWT 密钥：</translation>
    </message>
    <message>
        <source>Saved to %1</source>
        <translation>保存到 %1</translation>
    </message>
    <message>
        <source>Save and reload</source>
        <translation>保存并重新加载</translation>
    </message>
    <message>
        <source>Cannot check the settings: %1</source>
        <translation>无法检查设置：%1</translation>
    </message>
    <message>
        <source>Not saved: %1</source>
        <translation>未保存：%1</translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation>无法写入 %1：%2</translation>
    </message>
    <message>
        <source>Saved %1; reloading...</source>
        <translation>已保存 %1；正在重新加载...</translation>
    </message>
    <message>
        <source>Reload refused, the running configuration stays: %1</source>
        <translation>重新加载被拒绝，当前运行的配置保持不变：%1</translation>
    </message>
    <message>
        <source>Saved; nothing changed.</source>
        <translation>已保存；没有变化。</translation>
    </message>
    <message>
        <source>Applied: %1</source>
        <translation>已应用：%1</translation>
    </message>
    <message>
        <source>Applied live: %1</source>
        <translation>已即时生效：%1</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>Needs a restart (Server &gt; Restart server): %1</source>
        <translation>需要重启（服务器 &gt; 重启服务器）：%1</translation>
    </message>
</context>
<context>
    <name>TcpHistoryChart</name>
    <message>
        <source>Kernel sockets per TCP state on Warden&apos;s port, last %1 minutes</source>
        <translation>Warden 端口上各 TCP 状态的内核套接字数，最近 %1 分钟</translation>
    </message>
    <message>
        <source>-%1 min</source>
        <translation>-%1 分钟</translation>
    </message>
    <message>
        <source>now</source>
        <translation>现在</translation>
    </message>
</context>
<context>
    <name>TcpSocketListModel</name>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Peer</source>
        <translation>对端</translation>
    </message>
    <message>
        <source>Send-Q</source>
        <translation>发送队列</translation>
    </message>
    <message>
        <source>Recv-Q</source>
        <translation>接收队列</translation>
    </message>
</context>
<context>
    <name>TcpStateModel</name>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>the kernel, via netlink (sock_diag)</source>
        <translation>内核，经 netlink（sock_diag）</translation>
    </message>
    <message>
        <source>the kernel, via /proc/net/tcp</source>
        <translation>内核，经 /proc/net/tcp</translation>
    </message>
    <message>
        <source>unavailable: the kernel&apos;s TCP data could not be read</source>
        <translation>不可用：无法读取内核的 TCP 数据</translation>
    </message>
    <message>
        <source>unavailable: %1</source>
        <translation>不可用：%1</translation>
    </message>
    <message>
        <source>Sockets</source>
        <translation>套接字</translation>
    </message>
</context>
</TS>
