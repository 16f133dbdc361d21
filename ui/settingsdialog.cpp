// SPDX-License-Identifier: MIT
#include "ui/settingsdialog.h"

#include "server/configloader.h"
#include "server/serverhost.h"

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QRegularExpression>
#include <QtCore/QSaveFile>
#include <QtCore/QSettings>
#include <QtCore/QTemporaryDir>
#include <QtWidgets/QCheckBox>
#include <QtWidgets/QDialogButtonBox>
#include <QtWidgets/QDoubleSpinBox>
#include <QtWidgets/QFormLayout>
#include <QtWidgets/QLabel>
#include <QtWidgets/QLineEdit>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QSpinBox>
#include <QtWidgets/QVBoxLayout>

namespace {
QDoubleSpinBox *secondsBox(double min, double max, qint64 valueMs)
{
    auto *box = new QDoubleSpinBox;
    box->setDecimals(3);
    box->setRange(min, max);
    box->setValue(double(valueMs) / 1000.0);
    box->setSuffix(SettingsDialog::tr(" s"));
    return box;
}

QString secondsText(double s)
{
    return QString::number(s, 'g', 12);
}

// QSettings reads unquoted values with commas as lists and treats ; and " specially: quote those.
QString iniValue(const QString &v)
{
    static const QRegularExpression plain(QStringLiteral("^[A-Za-z0-9_.:\\[\\]/+\\-@*]*$"));
    if (plain.match(v).hasMatch())
        return v;
    QString q = v;
    q.replace(QLatin1Char('\\'), QLatin1String("\\\\"));
    q.replace(QLatin1Char('"'), QLatin1String("\\\""));
    return QLatin1Char('"') + q + QLatin1Char('"');
}
} // namespace

SettingsDialog::SettingsDialog(ServerHost *host, QWidget *parent)
    : QDialog(parent)
    , m_host(host)
    , m_listen(new QLineEdit)
    , m_idle(secondsBox(0.05, 31 * 86400, host->config().idleTimeoutMs))
    , m_warning(secondsBox(0, 86400, host->config().warningMs))
    , m_login(secondsBox(0.05, 3600, host->config().loginTimeoutMs))
    , m_maxMessage(new QSpinBox)
    , m_handshake(new QSpinBox)
    , m_secret(new QLineEdit)
    , m_showSecret(new QCheckBox(tr("Show")))
    , m_file(new QLabel)
    , m_result(new QLabel)
{
    setWindowTitle(tr("Settings"));
    const ServerConfig cfg = host->config();

    m_listen->setText(cfg.listenString());
    m_listen->setToolTip(tr("ADDR:PORT, [::1]:PORT for IPv6; port 0 = any free port"));
    m_maxMessage->setRange(128, 64 * 1024 * 1024);
    m_maxMessage->setValue(int(cfg.maxMessageBytes));
    m_maxMessage->setSuffix(tr(" bytes"));
    m_handshake->setRange(50, 600000);
    m_handshake->setValue(cfg.handshakeTimeoutMs);
    m_handshake->setSuffix(tr(" ms"));

    // The secret shown is the one in the file; a generated secret (jwt.secret) is never copied
    // into the INI file by saving.
    QString fileSecret;
    if (!host->configFile().isEmpty() && QFile::exists(host->configFile())) {
        QSettings ini(host->configFile(), QSettings::IniFormat);
        fileSecret = ini.value(QStringLiteral("auth/jwt_secret")).toString();
    }
    m_secret->setText(fileSecret);
    m_secret->setEchoMode(QLineEdit::Password);
    m_secret->setPlaceholderText(
        tr("empty: generated secret in %1")
            .arg(QDir(cfg.dataDir).filePath(QStringLiteral("jwt.secret"))));
    connect(m_showSecret, &QCheckBox::toggled, m_secret, [this](bool on) {
        m_secret->setEchoMode(on ? QLineEdit::Normal : QLineEdit::Password);
    });
    auto *secretRow = new QHBoxLayout;
    secretRow->addWidget(m_secret, 1);
    secretRow->addWidget(m_showSecret);

    auto *form = new QFormLayout;
    form->addRow(tr("Listen address:"), m_listen);
    form->addRow(tr("Idle timeout:"), m_idle);
    form->addRow(tr("Warning before logout:"), m_warning);
    form->addRow(tr("Login timeout:"), m_login);
    form->addRow(tr("Largest message:"), m_maxMessage);
    form->addRow(tr("Handshake timeout:"), m_handshake);
    form->addRow(tr("JWT secret:"), secretRow);

    m_file->setText(tr("Saved to %1").arg(targetFile()));
    m_file->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_result->setWordWrap(true);
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    m_save = buttons->addButton(tr("Save and reload"), QDialogButtonBox::ApplyRole);
    m_save->setDefault(true);
    connect(m_save, &QPushButton::clicked, this, &SettingsDialog::save);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_file);
    layout->addWidget(m_result);
    layout->addWidget(buttons);

    connect(m_host, &ServerHost::reloaded, this, &SettingsDialog::onReloaded);
    connect(m_host, &ServerHost::reloadApplied, this, &SettingsDialog::onReloadApplied);
}

QString SettingsDialog::targetFile() const
{
    if (!m_host->configFile().isEmpty())
        return m_host->configFile();
    return QDir(m_host->config().dataDir).filePath(QStringLiteral("warden.ini"));
}

QMap<QString, QString> SettingsDialog::values() const
{
    return {
        {QStringLiteral("server/listen"), m_listen->text().trimmed()},
        {QStringLiteral("session/idle_timeout"), secondsText(m_idle->value())},
        {QStringLiteral("session/warning"), secondsText(m_warning->value())},
        {QStringLiteral("session/login_timeout"), secondsText(m_login->value())},
        {QStringLiteral("limits/max_message_bytes"), QString::number(m_maxMessage->value())},
        {QStringLiteral("limits/handshake_timeout_ms"), QString::number(m_handshake->value())},
        {QStringLiteral("auth/jwt_secret"), m_secret->text()},
    };
}

QString SettingsDialog::resultText() const
{
    return m_result->text();
}

QString SettingsDialog::updateIni(const QString &text, const QMap<QString, QString> &values)
{
    QStringList lines = text.split(QLatin1Char('\n'));
    if (!lines.isEmpty() && lines.last().isEmpty())
        lines.removeLast();
    QMap<QString, QString> pending = values;
    static const QRegularExpression sectionRe(QStringLiteral("^\\s*\\[([^\\]]+)\\]\\s*$"));
    static const QRegularExpression keyRe(QStringLiteral("^\\s*([A-Za-z0-9_]+)\\s*="));

    // Pass 1: replace keys in place and remember where each section ends.
    QString section = QStringLiteral("General");
    QMap<QString, int> sectionEnd; // index after the section's last key line
    for (int i = 0; i < lines.size(); ++i) {
        const QRegularExpressionMatch s = sectionRe.match(lines.at(i));
        if (s.hasMatch()) {
            section = s.captured(1).trimmed();
            sectionEnd.insert(section, i + 1);
            continue;
        }
        const QRegularExpressionMatch k = keyRe.match(lines.at(i));
        if (!k.hasMatch())
            continue;
        const QString key = section + QLatin1Char('/') + k.captured(1);
        sectionEnd.insert(section, i + 1);
        const auto it = pending.find(key);
        if (it != pending.end()) {
            lines[i] = k.captured(1) + QStringLiteral(" = ") + iniValue(it.value());
            pending.erase(it);
        }
    }
    // Pass 2: missing keys go after the last key of their section, or into a new section.
    QMap<QString, QStringList> bySection;
    for (auto it = pending.cbegin(); it != pending.cend(); ++it)
        bySection[it.key().section(QLatin1Char('/'), 0, 0)].append(
            it.key().section(QLatin1Char('/'), 1) + QStringLiteral(" = ") + iniValue(it.value()));
    // Insert from the bottom up so earlier indexes stay valid.
    QList<QPair<int, QString>> inserts;
    for (auto it = bySection.cbegin(); it != bySection.cend(); ++it) {
        if (sectionEnd.contains(it.key())) {
            inserts.append({sectionEnd.value(it.key()), it.key()});
        } else {
            if (!lines.isEmpty() && !lines.last().trimmed().isEmpty())
                lines.append(QString());
            lines.append(QLatin1Char('[') + it.key() + QLatin1Char(']'));
            lines.append(it.value());
        }
    }
    std::sort(inserts.begin(), inserts.end(),
              [](const auto &a, const auto &b) { return a.first > b.first; });
    for (const auto &ins : std::as_const(inserts)) {
        const QStringList add = bySection.value(ins.second);
        for (qsizetype j = add.size() - 1; j >= 0; --j)
            lines.insert(ins.first, add.at(j));
    }
    return lines.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

void SettingsDialog::setResult(const QString &text, bool error)
{
    m_result->setText(text);
    m_result->setStyleSheet(error ? QStringLiteral("color: #c0392b;") : QString());
    Q_EMIT resultChanged(text);
}

void SettingsDialog::save()
{
    const QString target = targetFile();
    QString original;
    {
        QFile f(target);
        if (f.exists() && f.open(QIODevice::ReadOnly))
            original = QString::fromUtf8(f.readAll());
    }
    const QString updated = updateIni(original, values());

    // Check the new file before it replaces the old one: a refused value never reaches the disk.
    QTemporaryDir tmp;
    const QString probe = tmp.filePath(QStringLiteral("warden.ini"));
    {
        QFile f(probe);
        if (!tmp.isValid() || !f.open(QIODevice::WriteOnly) || f.write(updated.toUtf8()) < 0) {
            setResult(tr("Cannot check the settings: %1").arg(f.errorString()), true);
            return;
        }
    }
    ConfigResult check = ConfigLoader::load(probe);
    if (!check.ok()) {
        check.error.file = target;
        setResult(tr("Not saved: %1").arg(check.error.toString()), true);
        return;
    }

    QDir().mkpath(QFileInfo(target).absolutePath());
    QSaveFile out(target);
    if (!out.open(QIODevice::WriteOnly) || out.write(updated.toUtf8()) < 0 || !out.commit()) {
        setResult(tr("Cannot write %1: %2").arg(target, out.errorString()), true);
        return;
    }
    if (m_host->configFile().isEmpty())
        m_host->setConfigSource(target, m_host->configOverrides());
    m_waitingForReload = true;
    setResult(tr("Saved %1; reloading...").arg(target), false);
    m_host->reloadFromSource(QStringLiteral("gui"));
}

void SettingsDialog::onReloaded(bool ok, const QStringList &changed, const QString &error)
{
    if (!m_waitingForReload)
        return;
    m_waitingForReload = false;
    if (!ok)
        setResult(tr("Reload refused, the running configuration stays: %1").arg(error), true);
    else if (changed.isEmpty())
        setResult(tr("Saved; nothing changed."), false);
    else {
        setResult(tr("Applied: %1").arg(changed.join(QStringLiteral(", "))), false);
        m_waitingForSplit = true;
    }
}

void SettingsDialog::onReloadApplied(const QStringList &appliedLive,
                                     const QStringList &restartRequired)
{
    if (!m_waitingForSplit)
        return;
    m_waitingForSplit = false;
    QString text
        = tr("Applied live: %1")
              .arg(appliedLive.isEmpty() ? tr("none") : appliedLive.join(QStringLiteral(", ")));
    if (!restartRequired.isEmpty())
        text += QLatin1Char('\n')
                + tr("Needs a restart (Server > Restart server): %1")
                      .arg(restartRequired.join(QStringLiteral(", ")));
    setResult(text, false);
}
