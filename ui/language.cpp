// SPDX-License-Identifier: MIT
#include "ui/language.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QLibraryInfo>
#include <QtCore/QLocale>
#include <QtCore/QTranslator>

QString Language::resolve(const QString &requested)
{
    if (!requested.isEmpty())
        return requested;
    const QLocale system;
    return system.language() == QLocale::Chinese ? QStringLiteral("zh_CN") : QStringLiteral("en");
}

bool Language::install(QCoreApplication *app, const QString &lang)
{
    if (lang == QLatin1String("en"))
        return true;
    auto *qt = new QTranslator(app);
    if (qt->load(QStringLiteral("qtbase_") + lang,
                 QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QCoreApplication::installTranslator(qt);
    else
        delete qt; // standard buttons stay English; Warden's own texts still translate
    auto *own = new QTranslator(app);
    if (!own->load(QStringLiteral(":/i18n/warden_") + lang)) {
        delete own;
        return false;
    }
    QCoreApplication::installTranslator(own);
    return true;
}
