// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QMap>
#include <QtWidgets/QDialog>

class QCheckBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class ServerHost;

// Edits the main settings, writes them into the INI file the server runs from (keeping the file's
// comments and other keys) and reloads the server from it, then shows the result: the changed keys,
// or the file, key and reason of a refusal. GUI thread.
class SettingsDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SettingsDialog)

public:
    explicit SettingsDialog(ServerHost *host, QWidget *parent = nullptr);

    // The file that Save writes: the server's --config file, else <data-dir>/warden.ini.
    QString targetFile() const;
    // "group/key" -> INI text for every field of the dialog.
    QMap<QString, QString> values() const;
    QString resultText() const;

    QLineEdit *listenEdit() const { return m_listen; }
    QDoubleSpinBox *idleTimeoutEdit() const { return m_idle; }
    QDoubleSpinBox *warningEdit() const { return m_warning; }
    QDoubleSpinBox *loginTimeoutEdit() const { return m_login; }
    QSpinBox *maxMessageEdit() const { return m_maxMessage; }
    QSpinBox *handshakeEdit() const { return m_handshake; }
    QLineEdit *secretEdit() const { return m_secret; }
    QPushButton *saveButton() const { return m_save; }

    // Sets `values` ("group/key" -> text) in INI text: replaces existing lines in place, adds
    // missing keys at the end of their section (or a new section). Comments and other keys stay.
    static QString updateIni(const QString &text, const QMap<QString, QString> &values);

public Q_SLOTS:
    // Validates, writes the file, asks the server to reload; the outcome lands in resultText().
    void save();

Q_SIGNALS:
    void resultChanged(const QString &text);

private:
    void setResult(const QString &text, bool error);
    void onReloaded(bool ok, const QStringList &changed, const QString &error);
    void onReloadApplied(const QStringList &appliedLive, const QStringList &restartRequired);

    ServerHost *m_host;
    QLineEdit *m_listen;
    QDoubleSpinBox *m_idle;
    QDoubleSpinBox *m_warning;
    QDoubleSpinBox *m_login;
    QSpinBox *m_maxMessage;
    QSpinBox *m_handshake;
    QLineEdit *m_secret;
    QCheckBox *m_showSecret;
    QLabel *m_file;
    QLabel *m_result;
    QPushButton *m_save;
    bool m_waitingForSplit = false; // reloadApplied follows a successful reloaded
    bool m_waitingForReload = false;
};
