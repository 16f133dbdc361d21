// SPDX-License-Identifier: MIT
#include "server/digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstring>

namespace {

// Fetched once: an implicit fetch per call (EVP_sha256()) costs more than hashing a token.
const EVP_MD *sha1Md()
{
    static EVP_MD *md = EVP_MD_fetch(nullptr, "SHA1", nullptr);
    return md;
}

const EVP_MD *sha256Md()
{
    static EVP_MD *md = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
    return md;
}

class Context
{
public:
    Context()
        : m_ctx(EVP_MD_CTX_new())
    { }
    ~Context() { EVP_MD_CTX_free(m_ctx); }
    Context(const Context &) = delete;
    Context &operator=(const Context &) = delete;

    // Hashes the concatenation of the parts into out (EVP_MD_get_size(md) bytes).
    void hash(const EVP_MD *md, std::initializer_list<QByteArrayView> parts, unsigned char *out)
    {
        unsigned int size = 0;
        if (!m_ctx || !md || EVP_DigestInit_ex(m_ctx, md, nullptr) != 1)
            qFatal("Digest: OpenSSL has no digest context");
        for (QByteArrayView p : parts)
            EVP_DigestUpdate(m_ctx, p.data(), size_t(p.size()));
        EVP_DigestFinal_ex(m_ctx, out, &size);
    }

private:
    EVP_MD_CTX *m_ctx;
};

Context &context()
{
    thread_local Context c;
    return c;
}

// HMAC-SHA256 (RFC 2104, 64-byte block) with the hash states after the key's inner and outer pad
// blocks kept for the last key this thread used: a login then hashes only its token, the JWT
// secret changing only with a reload.
class HmacSha256
{
public:
    HmacSha256()
        : m_inner(EVP_MD_CTX_new())
        , m_outer(EVP_MD_CTX_new())
        , m_work(EVP_MD_CTX_new())
    { }
    ~HmacSha256()
    {
        EVP_MD_CTX_free(m_inner);
        EVP_MD_CTX_free(m_outer);
        EVP_MD_CTX_free(m_work);
        if (!m_key.isEmpty())
            OPENSSL_cleanse(m_key.data(), size_t(m_key.size()));
    }
    HmacSha256(const HmacSha256 &) = delete;
    HmacSha256 &operator=(const HmacSha256 &) = delete;

    void mac(QByteArrayView key, QByteArrayView data, unsigned char *out)
    {
        if (!m_ready || key.size() != m_key.size()
            || (!key.isEmpty() && std::memcmp(key.data(), m_key.constData(), size_t(key.size()))))
            setKey(key);
        unsigned char inner[32];
        unsigned int size = 0;
        if (EVP_MD_CTX_copy_ex(m_work, m_inner) != 1)
            qFatal("Digest: OpenSSL cannot copy a digest context");
        EVP_DigestUpdate(m_work, data.data(), size_t(data.size()));
        EVP_DigestFinal_ex(m_work, inner, &size);
        if (EVP_MD_CTX_copy_ex(m_work, m_outer) != 1)
            qFatal("Digest: OpenSSL cannot copy a digest context");
        EVP_DigestUpdate(m_work, inner, sizeof inner);
        EVP_DigestFinal_ex(m_work, out, &size);
    }

private:
    void setKey(QByteArrayView key);

    EVP_MD_CTX *m_inner;
    EVP_MD_CTX *m_outer;
    EVP_MD_CTX *m_work;
    QByteArray m_key;
    bool m_ready = false;
};

HmacSha256 &hmac()
{
    thread_local HmacSha256 h;
    return h;
}

QByteArray digest(const EVP_MD *md, QByteArrayView data)
{
    QByteArray out(EVP_MD_get_size(md), Qt::Uninitialized);
    context().hash(md, {data}, reinterpret_cast<unsigned char *>(out.data()));
    return out;
}

void HmacSha256::setKey(QByteArrayView key)
{
    constexpr int Block = 64;
    unsigned char k[Block] = {};
    if (key.size() > Block)
        context().hash(sha256Md(), {key}, k);
    else if (!key.isEmpty()) // an empty key may have no data pointer at all
        std::memcpy(k, key.data(), size_t(key.size()));
    unsigned char ipad[Block];
    unsigned char opad[Block];
    for (int i = 0; i < Block; ++i) {
        ipad[i] = k[i] ^ 0x36;
        opad[i] = k[i] ^ 0x5c;
    }
    if (!m_inner || !m_outer || !m_work || EVP_DigestInit_ex(m_inner, sha256Md(), nullptr) != 1
        || EVP_DigestInit_ex(m_outer, sha256Md(), nullptr) != 1)
        qFatal("Digest: OpenSSL has no digest context");
    EVP_DigestUpdate(m_inner, ipad, Block);
    EVP_DigestUpdate(m_outer, opad, Block);
    OPENSSL_cleanse(k, sizeof k);
    OPENSSL_cleanse(ipad, sizeof ipad);
    OPENSSL_cleanse(opad, sizeof opad);
    if (!m_key.isEmpty())
        OPENSSL_cleanse(m_key.data(), size_t(m_key.size()));
    m_key = key.toByteArray();
    m_ready = true;
}

} // namespace

QByteArray Digest::sha1(QByteArrayView data)
{
    return digest(sha1Md(), data);
}

QByteArray Digest::sha256(QByteArrayView data)
{
    return digest(sha256Md(), data);
}

QByteArray Digest::hmacSha256(QByteArrayView key, QByteArrayView data)
{
    QByteArray out(32, Qt::Uninitialized);
    hmac().mac(key, data, reinterpret_cast<unsigned char *>(out.data()));
    return out;
}
