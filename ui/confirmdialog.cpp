// SPDX-License-Identifier: MIT
#include "ui/confirmdialog.h"

#include <QtWidgets/QDialogButtonBox>
#include <QtWidgets/QLabel>
#include <QtWidgets/QLineEdit>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QVBoxLayout>

ConfirmDialog::ConfirmDialog(const QString &title, const QString &message,
                             const QString &confirmText, bool askReason, QWidget *parent)
    : QDialog(parent)
    , m_message(new QLabel(message))
{
    setWindowTitle(title);
    setAttribute(Qt::WA_DeleteOnClose);
    m_message->setWordWrap(true);
    m_message->setTextFormat(Qt::PlainText);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_message);
    if (askReason) {
        m_reason = new QLineEdit;
        m_reason->setPlaceholderText(tr("Reason (optional, written to the event log)"));
        layout->addWidget(m_reason);
    }
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Cancel);
    m_confirm = buttons->addButton(confirmText, QDialogButtonBox::AcceptRole);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    // Only now is the button inside the dialog, which is what makes it the one Enter presses.
    m_confirm->setDefault(true);
    if (m_reason)
        m_reason->setFocus();
    else
        m_confirm->setFocus();
}

QString ConfirmDialog::message() const
{
    return m_message->text();
}

QString ConfirmDialog::reason() const
{
    return m_reason ? m_reason->text().trimmed() : QString();
}
