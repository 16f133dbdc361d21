// SPDX-License-Identifier: MIT
#include "server/configloader.h"

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QStandardPaths>
#include <QtCore/QTemporaryDir>
#include <QtTest/QTest>

#include <sys/stat.h>

using Overrides = QMap<QString, QString>;

class tst_Config : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void defaultsAndGeneratedSecret();
    void shortSecretFileRefused();
    void fullValidFile();
    void fractionalSeconds_data();
    void fractionalSeconds();
    void valuesAsWritten_data();
    void valuesAsWritten();
    void badValues_data();
    void badValues();
    void unreadableFile_data();
    void unreadableFile();
    void overridesWin();
    void badOverrides_data();
    void badOverrides();
    void warningShrinksForShortIdleTimeout();
    void changedKeysAndDescribe();
    void errorToString();

private:
    QString writeIni(const QByteArray &text);
    Overrides dataDirOverride() const;

    std::unique_ptr<QTemporaryDir> m_dir;
};

void tst_Config::initTestCase()
{
    // Nothing here may touch the real data directory.
    QStandardPaths::setTestModeEnabled(true);
}

void tst_Config::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

QString tst_Config::writeIni(const QByteArray &text)
{
    const QString path = m_dir->filePath(QStringLiteral("warden.ini"));
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(text) != text.size())
        qFatal("cannot write %s", qPrintable(path));
    return path;
}

Overrides tst_Config::dataDirOverride() const
{
    return {{QStringLiteral("server/data_dir"), m_dir->filePath(QStringLiteral("data"))}};
}

void tst_Config::defaultsAndGeneratedSecret()
{
    const ConfigResult r = ConfigLoader::load(QString(), dataDirOverride());
    QVERIFY2(r.ok(), qPrintable(r.error.toString()));
    const ServerConfig &c = r.config;
    QCOMPARE(c.listenAddress, QHostAddress(QHostAddress::LocalHost));
    QCOMPARE(c.listenPort, quint16(1215));
    QCOMPARE(c.listenString(), QStringLiteral("127.0.0.1:1215"));
    QCOMPARE(c.locale, QStringLiteral("en"));
    QCOMPARE(c.transport, ServerConfig::Transport::Native);
    QCOMPARE(c.ioThreads, ServerConfig::AutoIoThreads);
    QCOMPARE(c.effectiveIoThreads(2), 0); // auto: none on 2 cores
    QCOMPARE(c.effectiveIoThreads(4), 3);
    QCOMPARE(c.effectiveIoThreads(64), 16);
    QCOMPARE(c.idleTimeoutMs, qint64(900000));
    QCOMPARE(c.warningMs, qint64(60000));
    QCOMPARE(c.loginTimeoutMs, qint64(30000));
    QCOMPARE(c.maxMessageBytes, qint64(65536));
    QCOMPARE(c.logFormat, QStringLiteral("text"));
    QCOMPARE(c.logKeepDays, 30);
    QCOMPARE(c.logMaxRows, qint64(1000000));
    QCOMPARE(c.shutdownSpreadMs, 2000);
    QVERIFY(!c.resetStore);
    QCOMPARE(c.dataDir, m_dir->filePath(QStringLiteral("data")));

    // The secret was generated into <data_dir>/jwt.secret, readable by the owner only.
    const QString secretPath = m_dir->filePath(QStringLiteral("data/jwt.secret"));
    QVERIFY(QFile::exists(secretPath));
    struct stat st
    {
    };
    QCOMPARE(::stat(QFile::encodeName(secretPath).constData(), &st), 0);
    QCOMPARE(st.st_mode & 07777, mode_t(0600));
    QFile f(secretPath);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll().trimmed(), c.jwtSecret);
    QVERIFY(c.jwtSecret.size() >= 32);

    // And reused, not regenerated, on the next load.
    const ConfigResult again = ConfigLoader::load(QString(), dataDirOverride());
    QVERIFY2(again.ok(), qPrintable(again.error.toString()));
    QCOMPARE(again.config.jwtSecret, c.jwtSecret);

    // An explicit secret wins and no file is read.
    Overrides o = dataDirOverride();
    o.insert(QStringLiteral("auth/jwt_secret"), QStringLiteral("an-explicit-secret-value"));
    QCOMPARE(ConfigLoader::load(QString(), o).config.jwtSecret,
             QByteArray("an-explicit-secret-value"));
}

void tst_Config::shortSecretFileRefused()
{
    QVERIFY(QDir().mkpath(m_dir->filePath(QStringLiteral("data"))));
    const QString secretPath = m_dir->filePath(QStringLiteral("data/jwt.secret"));
    QFile f(secretPath);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("tooshort\n");
    f.close();
    const ConfigResult r = ConfigLoader::load(QString(), dataDirOverride());
    QVERIFY(!r.ok());
    QCOMPARE(r.error.file, secretPath);
    QCOMPARE(r.error.key, QStringLiteral("auth/jwt_secret"));
}

void tst_Config::fullValidFile()
{
    const QByteArray dataDir = QFile::encodeName(m_dir->filePath(QStringLiteral("d2")));
    const QString file = writeIni("; Warden configuration\n"
                                  "[server]\n"
                                  "listen=[::1]:8080\n"
                                  "locale=zh_CN\n"
                                  "transport=qt\n"
                                  "io_threads = 3\n"
                                  "data_dir="
                                  + dataDir
                                  + "\n"
                                    "\n"
                                    "[auth]\n"
                                    "jwt_secret=0123456789abcdef0123\n"
                                    "\n"
                                    "[session]\n"
                                    "idle_timeout=120\n"
                                    "warning=30\n"
                                    "login_timeout=5\n"
                                    "revocation_ttl=3600\n"
                                    "\n"
                                    "[limits]\n"
                                    "max_message_bytes=4096\n"
                                    "handshake_timeout_ms=2500\n"
                                    "\n"
                                    "[socketio]\n"
                                    "ping_interval=10\n"
                                    "ping_timeout=2.5\n"
                                    "\n"
                                    "[http]\n"
                                    "demo=false\n"
                                    "\n"
                                    "[log]\n"
                                    "format=json\n"
                                    "ring_size=500\n");
    const ConfigResult r = ConfigLoader::load(file);
    QVERIFY2(r.ok(), qPrintable(r.error.toString()));
    const ServerConfig &c = r.config;
    QCOMPARE(c.listenAddress, QHostAddress(QHostAddress::LocalHostIPv6));
    QCOMPARE(c.listenPort, quint16(8080));
    QCOMPARE(c.listenString(), QStringLiteral("[::1]:8080"));
    QCOMPARE(c.locale, QStringLiteral("zh_CN"));
    QCOMPARE(c.transport, ServerConfig::Transport::Qt);
    QCOMPARE(c.ioThreads, 3);
    QCOMPARE(c.effectiveIoThreads(2), 3); // a number is taken as it is
    QCOMPARE(c.dataDir, QFile::decodeName(dataDir));
    QCOMPARE(c.jwtSecret, QByteArray("0123456789abcdef0123"));
    QCOMPARE(c.idleTimeoutMs, qint64(120000));
    QCOMPARE(c.warningMs, qint64(30000));
    QCOMPARE(c.loginTimeoutMs, qint64(5000));
    QCOMPARE(c.revocationTtlMs, qint64(3600000));
    QCOMPARE(c.maxMessageBytes, qint64(4096));
    QCOMPARE(c.handshakeTimeoutMs, 2500);
    QCOMPARE(c.logFormat, QStringLiteral("json"));
    QCOMPARE(c.eventRingSize, 500);
    QCOMPARE(c.pingIntervalMs, qint64(10000));
    QCOMPARE(c.pingTimeoutMs, qint64(2500));
    QCOMPARE(c.demo, ServerConfig::Demo::Off);
    QVERIFY(!c.demoEnabled());
    // With a secret in the file nothing is generated.
    QVERIFY(!QFile::exists(QFile::decodeName(dataDir) + QStringLiteral("/jwt.secret")));
}

void tst_Config::fractionalSeconds_data()
{
    QTest::addColumn<QByteArray>("ini");
    QTest::addColumn<qint64>("idleMs");
    QTest::addColumn<qint64>("warningMs");
    QTest::addColumn<qint64>("loginMs");
    QTest::addRow("half a second") << QByteArray("[session]\nidle_timeout=0.5\n") << qint64(500)
                                   << qint64(250) << qint64(30000);
    QTest::addRow("smallest idle") << QByteArray("[session]\nidle_timeout=0.05\n") << qint64(50)
                                   << qint64(25) << qint64(30000);
    QTest::addRow("fractions everywhere")
        << QByteArray("[session]\nidle_timeout=2.25\nwarning=0.75\nlogin_timeout=0.125\n")
        << qint64(2250) << qint64(750) << qint64(125);
    QTest::addRow("spaces around value") << QByteArray("[session]\nidle_timeout = 1.5 \n")
                                         << qint64(1500) << qint64(750) << qint64(30000);
    QTest::addRow("warning zero") << QByteArray("[session]\nidle_timeout=3\nwarning=0\n")
                                  << qint64(3000) << qint64(0) << qint64(30000);
}

void tst_Config::fractionalSeconds()
{
    QFETCH(QByteArray, ini);
    QFETCH(qint64, idleMs);
    QFETCH(qint64, warningMs);
    QFETCH(qint64, loginMs);
    const ConfigResult r = ConfigLoader::load(writeIni(ini), dataDirOverride());
    QVERIFY2(r.ok(), qPrintable(r.error.toString()));
    QCOMPARE(r.config.idleTimeoutMs, idleMs);
    QCOMPARE(r.config.warningMs, warningMs);
    QCOMPARE(r.config.loginTimeoutMs, loginMs);
}

void tst_Config::valuesAsWritten_data()
{
    QTest::addColumn<QByteArray>("ini");
    QTest::addColumn<QByteArray>("secret");
    QTest::addRow("plain") << QByteArray("[auth]\njwt_secret=abcdefghijklmnopqrst\n")
                           << QByteArray("abcdefghijklmnopqrst");
    QTest::addRow("comma") << QByteArray("[auth]\njwt_secret=abcdefgh,ijklmnopqrst\n")
                           << QByteArray("abcdefgh,ijklmnopqrst");
    QTest::addRow("comma and space") << QByteArray("[auth]\njwt_secret=abcdefgh, ijklmnopqrst\n")
                                     << QByteArray("abcdefgh, ijklmnopqrst");
    QTest::addRow("quoted comma") << QByteArray("[auth]\njwt_secret=\"abcdefgh,ijklmnopqrst\"\n")
                                  << QByteArray("abcdefgh,ijklmnopqrst");
}

void tst_Config::valuesAsWritten()
{
    QFETCH(QByteArray, ini);
    QFETCH(QByteArray, secret);
    const ConfigResult r = ConfigLoader::load(writeIni(ini), dataDirOverride());
    QVERIFY2(r.ok(), qPrintable(r.error.toString()));
    // Values are read as written: no splitting at commas (QSettings would), quotes optional.
    QCOMPARE(r.config.jwtSecret, secret);
}

void tst_Config::badValues_data()
{
    QTest::addColumn<QByteArray>("ini");
    QTest::addColumn<QString>("key");

    auto row = [](const char *name, const char *ini, const char *key) {
        QTest::addRow("%s", name) << QByteArray(ini) << QString::fromLatin1(key);
    };
    row("unknown key", "[server]\nport=1215\n", "server/port");
    row("unknown group", "[bogus]\nlisten=127.0.0.1:1\n", "bogus/listen");
    row("unknown key in [General]", "[General]\nfoo=1\n", "General/foo");
    row("unknown key before any group", "foo=1\n[server]\nlocale=en\n", "General/foo");
    row("case matters", "[Server]\nListen=127.0.0.1:1\n", "Server/Listen");
    row("listen not ADDR:PORT", "[server]\nlisten=nonsense\n", "server/listen");
    row("listen without port", "[server]\nlisten=127.0.0.1:\n", "server/listen");
    row("listen without host", "[server]\nlisten=:1215\n", "server/listen");
    row("port 70000", "[server]\nlisten=127.0.0.1:70000\n", "server/listen");
    row("negative port", "[server]\nlisten=127.0.0.1:-1\n", "server/listen");
    row("port not a number", "[server]\nlisten=127.0.0.1:http\n", "server/listen");
    row("bad address", "[server]\nlisten=300.1.2.3:80\n", "server/listen");
    row("host name", "[server]\nlisten=example.com:80\n", "server/listen");
    row("bad locale", "[server]\nlocale=fr\n", "server/locale");
    row("empty locale", "[server]\nlocale=\n", "server/locale");
    row("bad transport", "[server]\ntransport=uws\n", "server/transport");
    row("transport case", "[server]\ntransport=Native\n", "server/transport");
    row("negative io_threads", "[server]\nio_threads=-1\n", "server/io_threads");
    row("65 io_threads", "[server]\nio_threads=65\n", "server/io_threads");
    row("io_threads word", "[server]\nio_threads=many\n", "server/io_threads");
    row("short jwt_secret", "[auth]\njwt_secret=short\n", "auth/jwt_secret");
    row("15-char jwt_secret", "[auth]\njwt_secret=123456789012345\n", "auth/jwt_secret");
    row("idle_timeout=abc", "[session]\nidle_timeout=abc\n", "session/idle_timeout");
    row("cluster redis not a URL", "[cluster]\nredis=127.0.0.1:6379\n", "cluster/redis");
    row("cluster redis TLS", "[cluster]\nredis=rediss://127.0.0.1:6380/0\n", "cluster/redis");
    row("cluster redis other scheme", "[cluster]\nredis=http://127.0.0.1/\n", "cluster/redis");
    row("cluster redis bad db", "[cluster]\nredis=redis://127.0.0.1:6379/x\n", "cluster/redis");
    row("cluster node_id with space", "[cluster]\nnode_id=a b\n", "cluster/node_id");
    row("cluster empty prefix", "[cluster]\nprefix=\n", "cluster/prefix");
    row("cluster bad policy", "[cluster]\non_redis_down=panic\n", "cluster/on_redis_down");
    row("idle_timeout empty", "[session]\nidle_timeout=\n", "session/idle_timeout");
    row("idle_timeout negative", "[session]\nidle_timeout=-5\n", "session/idle_timeout");
    row("idle_timeout zero", "[session]\nidle_timeout=0\n", "session/idle_timeout");
    row("idle_timeout over 31 days", "[session]\nidle_timeout=2678401\n", "session/idle_timeout");
    row("idle_timeout nan", "[session]\nidle_timeout=nan\n", "session/idle_timeout");
    row("idle_timeout inf", "[session]\nidle_timeout=inf\n", "session/idle_timeout");
    row("idle_timeout with unit", "[session]\nidle_timeout=10s\n", "session/idle_timeout");
    row("warning equals idle_timeout", "[session]\nidle_timeout=10\nwarning=10\n",
        "session/warning");
    row("warning over idle_timeout", "[session]\nidle_timeout=10\nwarning=20\n", "session/warning");
    row("default idle, warning too long", "[session]\nwarning=900\n", "session/warning");
    row("warning negative", "[session]\nwarning=-1\n", "session/warning");
    row("warning nan", "[session]\nwarning=nan\n", "session/warning");
    row("login_timeout zero", "[session]\nlogin_timeout=0\n", "session/login_timeout");
    row("revocation_ttl under 1 s", "[session]\nrevocation_ttl=0.5\n", "session/revocation_ttl");
    row("max_message_bytes too small", "[limits]\nmax_message_bytes=100\n",
        "limits/max_message_bytes");
    row("max_message_bytes too big", "[limits]\nmax_message_bytes=100000000\n",
        "limits/max_message_bytes");
    row("max_message_bytes fractional", "[limits]\nmax_message_bytes=1024.5\n",
        "limits/max_message_bytes");
    row("handshake_timeout_ms too small", "[limits]\nhandshake_timeout_ms=10\n",
        "limits/handshake_timeout_ms");
    row("log/format=xml", "[log]\nformat=xml\n", "log/format");
    row("ring_size too small", "[log]\nring_size=5\n", "log/ring_size");
    row("ping_interval zero", "[socketio]\nping_interval=0\n", "socketio/ping_interval");
    row("ping_interval over an hour", "[socketio]\nping_interval=3601\n", "socketio/ping_interval");
    row("ping_timeout abc", "[socketio]\nping_timeout=abc\n", "socketio/ping_timeout");
    row("demo maybe", "[http]\ndemo=maybe\n", "http/demo");
    row("demo empty", "[http]\ndemo=\n", "http/demo");
    row("keep_days zero", "[log]\nkeep_days=0\n", "log/keep_days");
    row("keep_days not a number", "[log]\nkeep_days=month\n", "log/keep_days");
    row("keep_days fractional", "[log]\nkeep_days=1.5\n", "log/keep_days");
    row("max_rows too small", "[log]\nmax_rows=10\n", "log/max_rows");
    row("max_rows negative", "[log]\nmax_rows=-1\n", "log/max_rows");
    row("spread_ms negative", "[shutdown]\nspread_ms=-1\n", "shutdown/spread_ms");
    row("spread_ms over 10 minutes", "[shutdown]\nspread_ms=600001\n", "shutdown/spread_ms");
    row("spread_ms with unit", "[shutdown]\nspread_ms=2s\n", "shutdown/spread_ms");
}

void tst_Config::badValues()
{
    QFETCH(QByteArray, ini);
    QFETCH(QString, key);
    const QString file = writeIni(ini);
    const ConfigResult r = ConfigLoader::load(file, dataDirOverride());
    QVERIFY(!r.ok());
    QCOMPARE(r.error.file, file);
    QCOMPARE(r.error.key, key);
    QVERIFY(!r.error.reason.isEmpty());
    // Nothing is partially applied.
    QCOMPARE(r.config.listenPort, ServerConfig().listenPort);
    QCOMPARE(r.config.idleTimeoutMs, ServerConfig().idleTimeoutMs);
}

void tst_Config::unreadableFile_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("makeDirectory");
    QTest::addRow("missing file") << QStringLiteral("nope.ini") << false;
    QTest::addRow("a directory") << QStringLiteral("adir.ini") << true;
}

void tst_Config::unreadableFile()
{
    QFETCH(QString, name);
    QFETCH(bool, makeDirectory);
    const QString path = m_dir->filePath(name);
    if (makeDirectory)
        QVERIFY(QDir().mkdir(path));
    const ConfigResult r = ConfigLoader::load(path, dataDirOverride());
    QVERIFY(!r.ok());
    QCOMPARE(r.error.file, path);
    QVERIFY(r.error.key.isEmpty());
    QVERIFY(!r.error.reason.isEmpty());
}

void tst_Config::overridesWin()
{
    const QString file = writeIni("[server]\nlisten=127.0.0.1:2000\nlocale=zh_CN\n"
                                  "[session]\nidle_timeout=100\nwarning=10\n");
    Overrides o = dataDirOverride();
    o.insert(QStringLiteral("server/listen"), QStringLiteral("0.0.0.0:3000"));
    o.insert(QStringLiteral("session/warning"), QStringLiteral("20"));
    const ConfigResult r = ConfigLoader::load(file, o);
    QVERIFY2(r.ok(), qPrintable(r.error.toString()));
    QCOMPARE(r.config.listenAddress, QHostAddress(QHostAddress::AnyIPv4));
    QCOMPARE(r.config.listenPort, quint16(3000));
    QCOMPARE(r.config.warningMs, qint64(20000));
    // Keys not overridden come from the file.
    QCOMPARE(r.config.locale, QStringLiteral("zh_CN"));
    QCOMPARE(r.config.idleTimeoutMs, qint64(100000));
}

void tst_Config::badOverrides_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");
    QTest::addRow("unknown key") << QStringLiteral("server/bogus") << QStringLiteral("1");
    QTest::addRow("no group") << QStringLiteral("listen") << QStringLiteral("127.0.0.1:1");
    QTest::addRow("bad listen") << QStringLiteral("server/listen") << QStringLiteral("nope");
    QTest::addRow("bad idle") << QStringLiteral("session/idle_timeout") << QStringLiteral("abc");
    QTest::addRow("warning not under file's idle")
        << QStringLiteral("session/warning") << QStringLiteral("100");
}

void tst_Config::badOverrides()
{
    QFETCH(QString, key);
    QFETCH(QString, value);
    const QString file = writeIni("[session]\nidle_timeout=100\n");
    Overrides o = dataDirOverride();
    o.insert(key, value);
    const ConfigResult r = ConfigLoader::load(file, o);
    QVERIFY(!r.ok());
    QCOMPARE(r.error.file, ConfigLoader::commandLineName());
    QCOMPARE(r.error.file, QStringLiteral("<command line>"));
    QCOMPARE(r.error.key, key);
}

void tst_Config::warningShrinksForShortIdleTimeout()
{
    const QString file = writeIni("[session]\nidle_timeout=10\n");
    const ConfigResult r = ConfigLoader::load(file, dataDirOverride());
    QVERIFY2(r.ok(), qPrintable(r.error.toString()));
    QCOMPARE(r.config.warningMs, qint64(5000));

    // Not when the idle timeout leaves room for the default.
    const ConfigResult longer
        = ConfigLoader::load(writeIni("[session]\nidle_timeout=200\n"), dataDirOverride());
    QCOMPARE(longer.config.warningMs, qint64(60000));

    // Same rule when the idle timeout comes from the command line.
    Overrides o = dataDirOverride();
    o.insert(QStringLiteral("session/idle_timeout"), QStringLiteral("1"));
    const ConfigResult cli = ConfigLoader::load(QString(), o);
    QVERIFY2(cli.ok(), qPrintable(cli.error.toString()));
    QCOMPARE(cli.config.warningMs, qint64(500));
}

void tst_Config::changedKeysAndDescribe()
{
    ServerConfig a;
    a.jwtSecret = "first-secret-0123456789";
    QVERIFY(a.changedKeys(a).isEmpty());

    ServerConfig b = a;
    b.listenPort = 9999;
    b.idleTimeoutMs = 1500;
    QCOMPARE(a.changedKeys(b), (QStringList{QStringLiteral("server/listen"),
                                            QStringLiteral("session/idle_timeout")}));
    QCOMPARE(b.describe().value(QStringLiteral("session/idle_timeout")), QStringLiteral("1.5"));
    QCOMPARE(b.describe().value(QStringLiteral("server/listen")), QStringLiteral("127.0.0.1:9999"));

    ServerConfig c = a;
    c.jwtSecret = "second-secret-0123456789";
    QCOMPARE(a.changedKeys(c), QStringList{QStringLiteral("auth/jwt_secret")});

    // The secret never appears in describe(): only a fingerprint.
    const QMap<QString, QString> d = a.describe();
    const QString shown = d.value(QStringLiteral("auth/jwt_secret"));
    QVERIFY(shown.startsWith(QLatin1String("sha256:")));
    QVERIFY(!shown.contains(QLatin1String("first-secret")));
    for (const QString &v : d)
        QVERIFY(!v.contains(QLatin1String("first-secret")));
    QVERIFY(shown != c.describe().value(QStringLiteral("auth/jwt_secret")));
    QVERIFY(ServerConfig().describe().value(QStringLiteral("auth/jwt_secret")).isEmpty());

    // describe() covers exactly the keys the loader knows.
    QStringList known = ConfigLoader::knownKeys();
    known.sort();
    QCOMPARE(d.keys(), known);
}

void tst_Config::errorToString()
{
    const ConfigError e{QStringLiteral("/etc/warden.ini"), QStringLiteral("session/warning"),
                        QStringLiteral("too long")};
    QCOMPARE(e.toString(), QStringLiteral("/etc/warden.ini: [session] warning: too long"));
    QVERIFY(!e.isNull());
    QVERIFY(ConfigError().isNull());
}

QTEST_APPLESS_MAIN(tst_Config)
#include "tst_config.moc"
