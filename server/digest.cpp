// SPDX-License-Identifier: MIT
#include "server/digest.h"

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

QByteArray digest(const EVP_MD *md, QByteArrayView data)
{
    QByteArray out(EVP_MD_get_size(md), Qt::Uninitialized);
    context().hash(md, {data}, reinterpret_cast<unsigned char *>(out.data()));
    return out;
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
    // RFC 2104 with a 64-byte block: H((K ^ opad) || H((K ^ ipad) || data)).
    constexpr int Block = 64;
    unsigned char k[Block] = {};
    if (key.size() > Block)
        context().hash(sha256Md(), {key}, k);
    else if (!key.isEmpty()) // an empty key may have no data pointer at all
        std::memcpy(k, key.data(), size_t(key.size()));
    char ipad[Block];
    char opad[Block];
    for (int i = 0; i < Block; ++i) {
        ipad[i] = char(k[i] ^ 0x36);
        opad[i] = char(k[i] ^ 0x5c);
    }
    unsigned char inner[32];
    context().hash(sha256Md(), {QByteArrayView(ipad, Block), data}, inner);
    QByteArray out(32, Qt::Uninitialized);
    context().hash(
        sha256Md(),
        {QByteArrayView(opad, Block), QByteArrayView(reinterpret_cast<const char *>(inner), 32)},
        reinterpret_cast<unsigned char *>(out.data()));
    return out;
}
