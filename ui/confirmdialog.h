// SPDX-License-Identifier: MIT
#pragma once

#include <QtWidgets/QDialog>

class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPushButton;

// A confirmation for destructive operator actions: a message, an optional reason, and a default
// button so Enter confirms and Escape cancels. Opened with open() so the dashboard keeps updating
// behind it (and tests can drive it like an operator). GUI thread.
class ConfirmDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConfirmDialog)

public:
    ConfirmDialog(const QString &title, const QString &message, const QString &confirmText,
                  bool askReason, QWidget *parent = nullptr);

    QString message() const;
    QString reason() const;
    QLineEdit *reasonEdit() const { return m_reason; }
    QPushButton *confirmButton() const { return m_confirm; }

private:
    QLabel *m_message;
    QLineEdit *m_reason = nullptr;
    QPushButton *m_confirm;
};
