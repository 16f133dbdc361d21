<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>ConfirmDialog</name>
    <message>
        <source>Reason (optional, written to the event log)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ConnectionTableModel</name>
    <message>
        <source>(not logged in)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 ago</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ID</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>User</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Session</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Peer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Endpoint</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connected for</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last activity</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Expires in</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>TCP state</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>RTT</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Msgs in</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Msgs out</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bytes in</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bytes out</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>EventLogModel</name>
    <message>
        <source>Time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Type</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>User</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Session</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Details</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Logged in only</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Expiring only</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Warden</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Filter by user, session, address or id</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Disconnect</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Close the selected connection (4002); the client may reconnect, the session lives on</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Force logout</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>End the selected session on every tab (401 kicked, close 4502); its token is refused</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Log out &amp;user everywhere</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>End every session of the selected user (close 4502), after showing what would close</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Extend session</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Give the selected session one more idle timeout; its tabs get &quot;extended&quot; and drop a warning</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Accept new &amp;connections</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop or resume listening for new connections; live connections stay</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Reload configuration</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Read the configuration file again and apply it without dropping anyone; a bad file is refused</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Settings...</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Edit the listen address, timeouts, limits and secret</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>E&amp;xport event log...</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save the events the log shows (with its filters) as CSV or JSON lines</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>C&amp;lear event log</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Empty the event log view (the server keeps its own log)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop the server gracefully (clients get 4001) and quit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Actions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Server</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Connection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Events</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;TCP states</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show or hide the panel of connections per TCP state</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>All events</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Operator actions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Logins and logouts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connections</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Server</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Filter events by user, session, connection or details</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Event log</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>TCP states</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show dashboard</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Warden - not listening</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not listening</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Warden - %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Listening on %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n connection(s)</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n session(s)</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>Reload refused: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Configuration reloaded; nothing changed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Configuration reloaded: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Source: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Failed: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connection %1 disconnected</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Force logout</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>End session %1 of %2 on every tab? Its tabs get 401 &quot;kicked&quot; and close 4502; its token is refused afterwards.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Session %1 ended: %n connection(s) closed</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>Log out %1 everywhere?</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>This ends %n session(s)</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>and closes %n connection(s).</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>Log out user everywhere</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Log out everywhere</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%1 logged out: %n session(s) ended</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>Session %1 extended until %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Accepting new connections again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not accepting new connections; live connections stay</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export event log</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>JSON lines (*.jsonl);;CSV (*.csv)</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n event(s) exported to %1</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>Export failed: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stopping the server...</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source> s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ADDR:PORT, [::1]:PORT for IPv6; port 0 = any free port</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> bytes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> ms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>empty: generated secret in %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Listen address:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Idle timeout:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Warning before logout:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Login timeout:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Largest message:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Handshake timeout:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>JWT secret:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saved to %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save and reload</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot check the settings: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not saved: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saved %1; reloading...</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reload refused, the running configuration stays: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saved; nothing changed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Applied: %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>TcpStateModel</name>
    <message>
        <source>Warden&apos;s own sockets (Qt socket state)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unconnected</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Host lookup</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connecting</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connected</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bound</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Listening</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Closing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>State</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connections</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
