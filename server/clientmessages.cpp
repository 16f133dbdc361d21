// SPDX-License-Identifier: MIT
#include "server/clientmessages.h"

namespace {
struct Text
{
    const char *reason;
    const char *en;
    const char *zh; // UTF-8
};

constexpr Text kTexts[] = {
    {"success", "success", "登录成功"},
    {"missing_token", "a login token is required", "缺少登录令牌"},
    {"invalid_token", "the login token is not valid", "登录令牌无效"},
    {"idle_timeout", "you were logged out after a period of inactivity", "登录超时"},
    {"session_expired", "your session has ended, please log in again", "会话已过期，请重新登录"},
    {"kicked", "an administrator ended your session", "管理员已结束您的会话"},
    {"logged_out", "you have logged out", "您已退出登录"},
    {"login_timeout", "no login was received in time", "未在规定时间内登录"},
    {"login_required", "log in first", "请先登录"},
    {"already_logged_in", "this connection is already logged in with another token",
     "此连接已使用其他令牌登录"},
    {"replaced", "you signed in somewhere else, so this page was disconnected",
     "您已在其他地方登录，此页面已断开"},
    {"too_many_connections", "too many open pages for this user; close one and try again",
     "该用户打开的页面过多，请关闭一个后重试"},
    {"unknown_event", "unknown event", "未知事件"},
    {"cluster_unavailable", "the service is briefly unavailable, please try again",
     "服务暂时不可用，请稍后重试"},
    {"bad_frame", "malformed frame", "消息格式错误"},
};
} // namespace

QString ClientMessages::text(const QString &reason, const QString &locale)
{
    const bool zh = locale == QLatin1String("zh_CN");
    for (const Text &t : kTexts) {
        if (reason == QLatin1String(t.reason))
            return zh ? QString::fromUtf8(t.zh) : QString::fromLatin1(t.en);
    }
    return reason;
}
