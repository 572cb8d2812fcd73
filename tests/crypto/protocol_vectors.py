#!/usr/bin/env python3
"""Re-derives the handshake, safety-number and group test vectors of docs/PROTOCOL.md (Part 2) from
the document alone, with an independent implementation (Python `cryptography` + hashlib).
Usage: tests/crypto/protocol_vectors.py [docs/PROTOCOL.md]"""
import hashlib, hmac, struct, sys
try:
    from cryptography.hazmat.primitives.asymmetric import ed25519, x25519
    from cryptography.hazmat.primitives import serialization, hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
except ImportError:
    print("protocol vectors: skipped (python3-cryptography is not installed)")
    sys.exit(77)

path = sys.argv[1] if len(sys.argv) > 1 else "docs/PROTOCOL.md"
v, inside = {}, False
for line in open(path):
    if "<!-- vectors begin -->" in line: inside = True
    elif "<!-- vectors end -->" in line: inside = False
    elif inside and ": " in line:
        k, val = line.rstrip("\n").split(": ", 1); v[k] = val
h = bytes.fromhex
raw = lambda key: key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

def parse_offer(b):
    assert b[0] == 1 and b[1] == 1
    sender, recipient, eph = b[2:34], b[34:66], b[66:98]
    ts, = struct.unpack(">Q", b[98:106]); p = 106
    n1 = b[p]; name1 = b[p+1:p+1+n1]; p += 1 + n1
    n2 = b[p]; name2 = b[p+1:p+1+n2]; p += 1 + n2
    assert len(b) == p + 64
    ed25519.Ed25519PublicKey.from_public_bytes(sender).verify(b[p:], b"sotto/v1/offer" + b[:p])
    return sender, recipient, eph, ts, name1, name2

checks = 0
for who in ("alice", "bob"):
    key = ed25519.Ed25519PrivateKey.from_private_bytes(h(v[who + ".identity_seed"]))
    assert raw(key.public_key()).hex() == v[who + ".identity_public"]; checks += 1
a_offer, b_offer = h(v["offer.alice"]), h(v["offer.bob"])
a, b = parse_offer(a_offer), parse_offer(b_offer); checks += 2
a_eph = x25519.X25519PrivateKey.from_private_bytes(h(v["alice.ephemeral_secret"]))
b_eph = x25519.X25519PrivateKey.from_private_bytes(h(v["bob.ephemeral_secret"]))
assert raw(a_eph.public_key()) == a[2] and raw(b_eph.public_key()) == b[2]; checks += 1
first, second = (a_offer, b_offer) if a[2] < b[2] else (b_offer, a_offer)
transcript = hashlib.sha256(b"sotto/v1/transcript" + struct.pack(">I", len(first)) + first
                            + struct.pack(">I", len(second)) + second).digest()
assert transcript.hex() == v["handshake.transcript"]; checks += 1
shared = a_eph.exchange(b_eph.public_key())
okm = HKDF(hashes.SHA256(), 96, transcript, b"sotto/v1/handshake keys").derive(shared)
assert okm[:32].hex() == v["handshake.root_key"]; checks += 1
alice_role = 1 if a[2] < b[2] else 2
assert v["handshake.alice_role"] == "%02x" % alice_role; checks += 1
for who, role in (("alice", alice_role), ("bob", 3 - alice_role)):
    key = okm[32:64] if role == 1 else okm[64:96]
    mac = hmac.new(key, b"sotto/v1/confirm" + bytes([role]) + transcript, "sha256").digest()
    assert v["confirm." + who] == (bytes([1, 2, role]) + transcript + mac).hex(); checks += 1

def half(key, user):
    d = hashlib.sha512(b"\0\0" + key + user).digest()
    for _ in range(5200): d = hashlib.sha512(d + key).digest()
    return "".join("%05d" % (int.from_bytes(d[i*5:i*5+5], "big") % 100000) for i in range(6))
digits = "".join(sorted([half(bytes(range(32)), b"alice"), half(bytes(range(32, 64)), b"bob")]))
assert " ".join(digits[i:i+5] for i in range(0, 60, 5)) == v["safety.number"]; checks += 1

# 2.9: the sender chain. XChaCha20-Poly1305 = ChaCha20-Poly1305 under HChaCha20(key, nonce[:16])
# with nonce 0000 || nonce[16:24]; HChaCha20 written out (RFC draft-irtf-cfrg-xchacha, 2.2).
def hchacha20(key, nonce16):
    m = 0xffffffff
    x = list(struct.unpack("<4I", b"expand 32-byte k") + struct.unpack("<8I", key)
             + struct.unpack("<4I", nonce16))
    rotl = lambda value, r: ((value << r) | (value >> (32 - r))) & m
    def qr(a, b, c, d):
        x[a] = (x[a] + x[b]) & m; x[d] = rotl(x[d] ^ x[a], 16)
        x[c] = (x[c] + x[d]) & m; x[b] = rotl(x[b] ^ x[c], 12)
        x[a] = (x[a] + x[b]) & m; x[d] = rotl(x[d] ^ x[a], 8)
        x[c] = (x[c] + x[d]) & m; x[b] = rotl(x[b] ^ x[c], 7)
    for _ in range(10):
        qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15)
        qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14)
    return struct.pack("<8I", *(x[0:4] + x[12:16]))
def xchacha_decrypt(key, nonce, ct, ad):
    return ChaCha20Poly1305(hchacha20(key, nonce[:16])).decrypt(b"\0" * 4 + nonce[16:], ct, ad)
# The HChaCha20 test vector of the draft (section 2.2.1).
assert hchacha20(bytes(range(32)), h("000000090000004a0000000031415927")).hex() == \
    "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc"; checks += 1
signing = ed25519.Ed25519PrivateKey.from_private_bytes(h(v["group.signing_seed"])).public_key()
ck, A = h(v["group.chain_key"]), h(v["alice.identity_public"])
kdf = lambda key, label: hashlib.blake2b(label, key=key, digest_size=32).digest()
for i in range(2):
    m = h(v["group.message_%d" % i])
    assert m[0] == 1 and m[1:17] == bytes(range(16)) and struct.unpack(">I", m[21:25])[0] == i
    header, ct, sig = m[:25], m[25:-64], m[-64:]
    signing.verify(sig, b"sotto/v1/group message" + struct.pack(">I", len(A)) + A + m[:-64])
    mk = kdf(ck, b"sotto/v1/group message key")
    plain = xchacha_decrypt(mk, bytes(24), ct, header + A)
    assert len(plain) == 64 and plain[:6] == b"hello\x80" and not any(plain[6:]); checks += 1
    ck = kdf(ck, b"sotto/v1/group chain key")
print("protocol vectors: %d independent checks passed" % checks)
