// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QSortFilterProxyModel>

class ConnectionTableModel;

// Sorts and filters ConnectionTableModel: a text filter over user, session, peer and id, plus
// "logged in only" and "expiring only". Compares the source rows' values directly (no QVariant),
// so 100k rows stay fast. GUI thread.
class ConnectionFilterProxy final : public QSortFilterProxyModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConnectionFilterProxy)

public:
    explicit ConnectionFilterProxy(QObject *parent = nullptr);

    void setConnectionModel(ConnectionTableModel *model);
    ConnectionTableModel *connectionModel() const { return m_model; }

    QString text() const { return m_text; }
    void setText(const QString &text);
    bool loggedInOnly() const { return m_loggedInOnly; }
    void setLoggedInOnly(bool on);
    bool expiringOnly() const { return m_expiringOnly; }
    void setExpiringOnly(bool on);
    // Only the connections of this logged-in user (exact match); empty = everyone.
    QString user() const { return m_user; }
    void setUser(const QString &user);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;
    bool lessThan(const QModelIndex &left, const QModelIndex &right) const override;

private:
    ConnectionTableModel *m_model = nullptr;
    QString m_text;
    bool m_loggedInOnly = false;
    bool m_expiringOnly = false;
    QString m_user;
};
