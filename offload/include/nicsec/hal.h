/* nicsec offload HAL: the contract between nicsecd (host/), nicsecctl (tools/) and every ESP
 * datapath backend ("soft" in software, "sim" on the Verilated RTL engine, "xfrm" on the Linux
 * kernel, "mlx5" on ConnectX).
 *
 * The semantics follow Linux xfrmdev_ops, DPDK rte_security and DOCA Flow; the shapes are our
 * own, so a change in any of those APIs stays inside one backend.
 *
 * Model
 * -----
 * - A *device* is one opened backend instance (nicsec_hal_open). Every call on a device is
 *   thread-safe unless a function says otherwise.
 * - An *SA* is one direction of one Child SA. The device assigns it an opaque 64-bit handle
 *   (nicsec_hal_sa_id) at install time; handles are never reused while the device is open.
 * - Inbound SAs are looked up by SPI alone, so an inbound SPI is unique on a device and must lie
 *   in the device's inbound SPI window (caps.spi_min..spi_max): the daemon allocates inbound SPIs
 *   inside that window. Outbound SAs are keyed by (destination address, SPI).
 * - Offload mode is chosen per SA: CRYPTO (device only encrypts/decrypts; headers, SN, replay
 *   and policy stay with the host) or PACKET (device also encapsulates, numbers, checks replay,
 *   counts lifetimes and matches policies). Fallback to a software path is also chosen per SA,
 *   never per packet: per-packet fallback reorders packets and trips the peer's anti-replay.
 * - Time-based lifetimes (add/use expiry in seconds) are the daemon's timers; the device counts
 *   packets and bytes and reports limit crossings as events.
 * - Sequence numbers: an SA's counter starts at its initial_seq (0 for a new SA), so the first
 *   packet sent carries initial_seq + 1. Without ESN the counter never wraps: once SN 2^32-1 has
 *   been sent the SA refuses to send and raises NICSEC_HAL_EV_SN_EXHAUSTED.
 *
 * Every function returns NICSEC_HAL_OK (0) or an nicsec_hal_err saying why it failed;
 * nicsec_hal_strerror() turns it into a sentence. No function logs key material.
 */
#ifndef NICSEC_HAL_H
#define NICSEC_HAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ------------------------------------------------------------------------------ */

/* Control-path errors say which rule an SA or call broke; datapath errors (NICSEC_HAL_E_PKT_*)
 * say why a packet was dropped and map 1:1 onto a drop-reason counter (nicsec_hal_drop). */
enum nicsec_hal_err {
  NICSEC_HAL_OK = 0,
  NICSEC_HAL_E_INVAL,              /* malformed argument (NULL, zero count, bad enum value) */
  NICSEC_HAL_E_NOMEM,              /* host memory allocation failed */
  NICSEC_HAL_E_NO_BACKEND,         /* no backend registered under that name */
  NICSEC_HAL_E_BACKEND_EXISTS,     /* a backend of that name is already registered */
  NICSEC_HAL_E_DEVICE,             /* the device failed the request (driver/firmware error) */
  NICSEC_HAL_E_NOT_SUPPORTED,      /* the backend does not implement this operation */
  NICSEC_HAL_E_UNSUPPORTED_OFFLOAD,/* offload mode (crypto/packet) not offered by the device */
  NICSEC_HAL_E_UNSUPPORTED_ALG,    /* AEAD algorithm not offered by the device */
  NICSEC_HAL_E_UNSUPPORTED_ICV,    /* ICV length not offered for that algorithm */
  NICSEC_HAL_E_UNSUPPORTED_MODE,   /* tunnel/transport/BEET mode not offered */
  NICSEC_HAL_E_UNSUPPORTED_FAMILY, /* address family not offered, or src/dst families differ */
  NICSEC_HAL_E_UNSUPPORTED_ESN,    /* ESN requested but not offered */
  NICSEC_HAL_E_UNSUPPORTED_ENCAP,  /* UDP encapsulation (NAT-T) not offered */
  NICSEC_HAL_E_KEY_LENGTH,         /* key length does not match the algorithm */
  NICSEC_HAL_E_SPI_RESERVED,       /* SPI 0..255 is reserved (RFC 4303) */
  NICSEC_HAL_E_SPI_OUT_OF_WINDOW,  /* inbound SPI outside caps.spi_min..spi_max */
  NICSEC_HAL_E_DUPLICATE_SPI,      /* SPI already installed (or twice in one batch) */
  NICSEC_HAL_E_REPLAY_WINDOW,      /* replay window size not offered by the device */
  NICSEC_HAL_E_LIFETIME,           /* soft limit above hard limit */
  NICSEC_HAL_E_SEQ,                /* initial sequence number out of range for ESN setting */
  NICSEC_HAL_E_TABLE_FULL,         /* no free SA or policy slot in that direction */
  NICSEC_HAL_E_BATCH_TOO_LARGE,    /* more entries than caps.max_batch */
  NICSEC_HAL_E_ABORTED,            /* batch entry valid but not installed: another entry failed */
  NICSEC_HAL_E_NO_SUCH_SA,         /* handle unknown (never installed or already freed) */
  NICSEC_HAL_E_SA_STATE,           /* wrong delete phase (e.g. free before stop and drain) */
  NICSEC_HAL_E_BUSY,               /* drain: packets still in flight, call again */
  NICSEC_HAL_E_NO_SUCH_POLICY,     /* policy handle unknown */
  NICSEC_HAL_E_DUPLICATE_POLICY,   /* identical selector, direction and priority installed */
  NICSEC_HAL_E_CRYPTO,             /* the crypto library failed (not a bad packet) */
  /* datapath: why a packet was refused */
  NICSEC_HAL_E_PKT_MALFORMED,      /* truncated or inconsistent headers/lengths */
  NICSEC_HAL_E_PKT_UNSUPPORTED,    /* valid but not handled (fragment, IPv6 ext. headers) */
  NICSEC_HAL_E_PKT_NOT_ESP,        /* not ESP (IKE marker, keepalive, other protocol): host's */
  NICSEC_HAL_E_PKT_NO_SA,          /* no active inbound SA for the SPI (or encap mismatch) */
  NICSEC_HAL_E_PKT_REPLAY,         /* duplicate or left of the anti-replay window */
  NICSEC_HAL_E_PKT_AUTH,           /* ICV verification failed */
  NICSEC_HAL_E_PKT_TRAILER,        /* bad padding bytes, pad length or next header */
  NICSEC_HAL_E_PKT_DUMMY,          /* next header 59: TFC dummy packet, drop silently */
  NICSEC_HAL_E_PKT_POLICY,         /* inner addresses outside the SA's selector */
  NICSEC_HAL_E_PKT_EXPIRED,        /* hard packet/byte lifetime reached */
  NICSEC_HAL_E_PKT_SN_EXHAUSTED,   /* outbound SN would wrap: rekey needed */
  NICSEC_HAL_E_PKT_TOO_BIG,        /* output buffer too small for the result */
  NICSEC_HAL_E__COUNT
};

/* A sentence for humans and logs ("SPI outside the device's inbound SPI window"); never NULL. */
const char *nicsec_hal_strerror(enum nicsec_hal_err err);

/* ---- algorithms, modes, addresses --------------------------------------------------------- */

enum nicsec_hal_alg {
  NICSEC_HAL_ALG_AES_GCM_128 = 1, /* RFC 4106, 16-octet key */
  NICSEC_HAL_ALG_AES_GCM_192,     /* RFC 4106, 24-octet key (software only on most NICs) */
  NICSEC_HAL_ALG_AES_GCM_256,     /* RFC 4106, 32-octet key */
  NICSEC_HAL_ALG_CHACHA20_POLY1305, /* RFC 7634, 32-octet key, ICV 16 */
  NICSEC_HAL_ALG__MAX = NICSEC_HAL_ALG_CHACHA20_POLY1305
};
#define NICSEC_HAL_ALG_BIT(alg) (1u << (alg))

/* ICV lengths as a bit set (caps.aes_gcm_icv); ChaCha20-Poly1305 always uses 16. */
enum {
  NICSEC_HAL_ICV_8 = 1u << 0,
  NICSEC_HAL_ICV_12 = 1u << 1,
  NICSEC_HAL_ICV_16 = 1u << 2,
};

enum nicsec_hal_dir { NICSEC_HAL_DIR_IN = 1, NICSEC_HAL_DIR_OUT = 2 };

/* Offload modes, usable as bits of caps.offload_modes. */
enum nicsec_hal_offload {
  NICSEC_HAL_OFFLOAD_CRYPTO = 1u << 0, /* device en/decrypts; host does headers, SN, replay */
  NICSEC_HAL_OFFLOAD_PACKET = 1u << 1, /* device does the whole ESP datapath */
};

/* Encapsulation modes, usable as bits of caps.modes. */
enum nicsec_hal_mode {
  NICSEC_HAL_MODE_TUNNEL = 1u << 0,
  NICSEC_HAL_MODE_TRANSPORT = 1u << 1,
  NICSEC_HAL_MODE_BEET = 1u << 2,
};

/* Address families, usable as bits of caps.families. */
enum nicsec_hal_family { NICSEC_HAL_AF_INET = 1u << 0, NICSEC_HAL_AF_INET6 = 1u << 1 };

/* What to do when the device cannot offload an SA. SOFTWARE: a backend with its own software
 * path (xfrm crypto mode: the kernel's ESP) may install the SA there, and then reports it with
 * nicsec_hal_sa_info.offloaded = false; a backend without one rejects the SA exactly as with
 * NONE, and the daemon installs it on a "soft" device instead. */
enum nicsec_hal_fallback { NICSEC_HAL_FALLBACK_NONE = 0, NICSEC_HAL_FALLBACK_SOFTWARE };

struct nicsec_hal_addr {
  enum nicsec_hal_family family; /* NICSEC_HAL_AF_INET or _INET6 */
  uint8_t bytes[16];             /* network order; IPv4 uses the first 4 */
};

/* Traffic selector (packet mode): prefix match on addresses; proto 0 and port 0 mean "any". */
struct nicsec_hal_selector {
  struct nicsec_hal_addr src, dst;
  uint8_t src_prefix, dst_prefix; /* 0 = match every address of the family */
  uint8_t proto;
  uint16_t sport, dport; /* host order */
};

/* Packet and byte limits; 0 means no limit. Bytes count the plaintext (inner) packet. */
struct nicsec_hal_limits {
  uint64_t soft_packets, hard_packets;
  uint64_t soft_bytes, hard_bytes;
};

/* ---- capabilities ------------------------------------------------------------------------- */

#define NICSEC_HAL_MAX_WINDOW_SIZES 16

/* What a device can do. The daemon must obey it; nicsec_hal_sa_add re-checks every SA against
 * it (so a violation fails with a precise error, never with a driver's EINVAL). */
struct nicsec_hal_caps {
  const char *backend;       /* registered name, e.g. "soft" */
  uint32_t offload_modes;    /* NICSEC_HAL_OFFLOAD_* bits */
  uint32_t algs;             /* NICSEC_HAL_ALG_BIT(alg) bits */
  uint32_t aes_gcm_icv;      /* NICSEC_HAL_ICV_* bits for the AES-GCM algorithms */
  uint32_t modes;            /* NICSEC_HAL_MODE_* bits */
  uint32_t families;         /* NICSEC_HAL_AF_* bits (outer and inner) */
  bool esn;                  /* 64-bit extended sequence numbers */
  bool udp_encap;            /* ESP-in-UDP (RFC 3948) */
  bool replay_disable;       /* inbound window 0 (no replay check) accepted, without ESN */
  /* Replay-window sizes the device offers (hardware has a few fixed ones), ascending. */
  uint16_t replay_windows[NICSEC_HAL_MAX_WINDOW_SIZES];
  uint8_t n_replay_windows;
  uint32_t max_sa_in, max_sa_out; /* SAs per direction */
  uint32_t max_policies;          /* 0 when the device has no policy table */
  uint32_t spi_min, spi_max;      /* inbound SPI window, inclusive, spi_min >= 256 */
  bool hw_lifetime_packets;       /* the device counts packets itself (exact limits) */
  bool hw_lifetime_bytes;         /* ...and bytes (false: polled, approximate) */
  uint32_t max_batch;             /* most SAs per nicsec_hal_sa_add call */
  uint32_t stats_freshness_ms;    /* counters lag reality by at most this */
  bool host_datapath;             /* packets pass through nicsec_hal_encap/decap (soft, sim) */
};

/* ---- SA description ----------------------------------------------------------------------- */

#define NICSEC_HAL_MAX_KEY 32
#define NICSEC_HAL_SALT_LEN 4

struct nicsec_hal_sa {
  enum nicsec_hal_dir dir;
  enum nicsec_hal_offload offload; /* one mode, not a bit set */
  enum nicsec_hal_mode mode;       /* one mode, not a bit set */
  enum nicsec_hal_fallback fallback;
  uint32_t spi;                    /* host order */
  uint32_t reqid;                  /* ties the SA to its policies */
  /* Outer addresses (tunnel endpoints; in transport mode the hosts). */
  struct nicsec_hal_addr src, dst;
  struct {
    bool enabled;       /* ESP-in-UDP, RFC 3948 */
    uint16_t sport, dport; /* host order; 4500 unless a NAT rewrote them */
  } encap;
  enum nicsec_hal_alg alg;
  uint8_t key[NICSEC_HAL_MAX_KEY]; /* first key_len octets used */
  uint8_t key_len;
  uint8_t salt[NICSEC_HAL_SALT_LEN]; /* last 4 octets of the RFC 4106/7634 KEYMAT */
  uint8_t icv_len;                   /* 8, 12 or 16 octets */
  bool esn;
  uint64_t initial_seq;   /* see the model above; inbound: right edge of the replay window */
  uint32_t replay_window; /* inbound, in packets; 0 disables the check */
  struct nicsec_hal_limits limits;
  struct nicsec_hal_selector sel; /* packet mode: inbound inner packets must match it */
  bool has_sel;
  /* BEET mode only (RFC 7402 appendix B): the inner addresses bound to the SA, in the SA's
   * direction (outbound: local, peer; inbound: peer, local). They never travel on the wire:
   * encap requires the inner packet to carry exactly them and replaces its IP header by an
   * outer one; decap rebuilds the inner header from them. Same family as src/dst. */
  struct {
    struct nicsec_hal_addr src, dst;
  } beet;
};

typedef uint64_t nicsec_hal_sa_id;

/* ---- device ------------------------------------------------------------------------------- */

struct nicsec_hal_dev;

/* Opens a device of the backend registered as `backend` (the name in the daemon's config).
 * `args` is backend-specific ("" or NULL for defaults; e.g. "ifname=ens1f0" for mlx5). */
enum nicsec_hal_err nicsec_hal_open(const char *backend, const char *args,
                                    struct nicsec_hal_dev **out);
/* Frees every SA (wiping keys) and policy the device still holds, then the device. */
void nicsec_hal_close(struct nicsec_hal_dev *dev);
/* The device's capabilities; valid until nicsec_hal_close. */
const struct nicsec_hal_caps *nicsec_hal_caps(const struct nicsec_hal_dev *dev);

/* ---- SA lifecycle ------------------------------------------------------------------------- */

/* Installs n SAs transactionally: either all are installed (returns OK, ids[i] set) or none is
 * (returns the first failing entry's error). errs (may be NULL) receives one code per entry:
 * OK, the entry's own error, or NICSEC_HAL_E_ABORTED for valid entries rolled back because
 * another failed. n must be 1..caps.max_batch. */
enum nicsec_hal_err nicsec_hal_sa_add(struct nicsec_hal_dev *dev, const struct nicsec_hal_sa *sas,
                                      size_t n, nicsec_hal_sa_id *ids, enum nicsec_hal_err *errs);

/* Deleting is three calls, because a packet may be in flight when the daemon decides to delete
 * (this race crashed mlx5 RX):
 *  1. stop:  the SA no longer matches any packet (steering removed). Stats stay readable.
 *  2. drain: returns OK once no packet that matched the SA is still being processed, or
 *            NICSEC_HAL_E_BUSY (call again later).
 *  3. free:  releases the SA and wipes its key material. Only valid after a successful drain. */
enum nicsec_hal_err nicsec_hal_sa_stop(struct nicsec_hal_dev *dev, nicsec_hal_sa_id id);
enum nicsec_hal_err nicsec_hal_sa_drain(struct nicsec_hal_dev *dev, nicsec_hal_sa_id id);
enum nicsec_hal_err nicsec_hal_sa_free(struct nicsec_hal_dev *dev, nicsec_hal_sa_id id);

/* Changes to a live SA. Fields take effect only when their flag is set in `what`. */
enum {
  NICSEC_HAL_UPD_SEQ = 1u << 0,    /* outbound: SN counter; inbound: replay window right edge
                                      (the window restarts empty there, edge counted as seen) */
  NICSEC_HAL_UPD_LIMITS = 1u << 1, /* new packet/byte limits; crossed limits fire again */
};
struct nicsec_hal_sa_update {
  uint32_t what;
  uint64_t seq; /* full 64-bit value (ESN state) */
  struct nicsec_hal_limits limits;
};
enum nicsec_hal_err nicsec_hal_sa_update(struct nicsec_hal_dev *dev, nicsec_hal_sa_id id,
                                         const struct nicsec_hal_sa_update *upd);

/* ---- statistics and dump ------------------------------------------------------------------ */

/* Drop reasons counted per SA (and per device for packets no SA claimed). */
enum nicsec_hal_drop {
  NICSEC_HAL_DROP_MALFORMED,
  NICSEC_HAL_DROP_UNSUPPORTED,
  NICSEC_HAL_DROP_NO_SA,
  NICSEC_HAL_DROP_REPLAY,
  NICSEC_HAL_DROP_AUTH,
  NICSEC_HAL_DROP_TRAILER,
  NICSEC_HAL_DROP_DUMMY,
  NICSEC_HAL_DROP_POLICY,
  NICSEC_HAL_DROP_EXPIRED,
  NICSEC_HAL_DROP_SN_EXHAUSTED,
  NICSEC_HAL_DROP_TOO_BIG,
  NICSEC_HAL_DROP__COUNT
};
/* Short name for tables ("replay", "auth", ...); NULL for an out-of-range value. */
const char *nicsec_hal_drop_name(enum nicsec_hal_drop reason);

struct nicsec_hal_sa_stats {
  uint64_t packets, bytes;        /* successfully processed; bytes of plaintext packets */
  uint64_t replay_drops;          /* == drops[NICSEC_HAL_DROP_REPLAY] */
  uint64_t auth_failures;         /* == drops[NICSEC_HAL_DROP_AUTH] */
  uint64_t drops[NICSEC_HAL_DROP__COUNT];
  uint64_t last_use_s;            /* CLOCK_REALTIME seconds of the last packet; 0 = never */
  uint64_t seq;                   /* outbound: last SN sent; inbound: highest SN accepted */
  uint64_t replay_seen;           /* inbound: SNs marked in the window (replay state) */
};

enum nicsec_hal_err nicsec_hal_sa_stats(struct nicsec_hal_dev *dev, nicsec_hal_sa_id id,
                                        struct nicsec_hal_sa_stats *out);

/* Device-wide drops of packets that no SA claimed (no SA, malformed outer headers). */
enum nicsec_hal_err nicsec_hal_dev_drops(struct nicsec_hal_dev *dev,
                                         uint64_t drops[NICSEC_HAL_DROP__COUNT]);

enum nicsec_hal_sa_state {
  NICSEC_HAL_SA_ACTIVE = 1,
  NICSEC_HAL_SA_STOPPED,  /* stop done, drain pending */
  NICSEC_HAL_SA_DRAINED,  /* drain done, free pending */
};

/* One SA as the device holds it. sa.key and sa.salt are always zero (redacted); key_len is
 * kept so tools can show the key size. */
struct nicsec_hal_sa_info {
  nicsec_hal_sa_id id;
  enum nicsec_hal_sa_state state;
  bool offloaded; /* false when installed in the backend's software fallback path */
  struct nicsec_hal_sa sa;
  struct nicsec_hal_sa_stats stats;
};

/* Calls fn once per SA the device holds (in no particular order); a non-zero return from fn stops
 * the walk and is returned as NICSEC_HAL_OK (the caller asked to stop). The device lock is held
 * during the walk: fn must not call back into the device. */
typedef int (*nicsec_hal_dump_fn)(const struct nicsec_hal_sa_info *info, void *ctx);
enum nicsec_hal_err nicsec_hal_dump(struct nicsec_hal_dev *dev, nicsec_hal_dump_fn fn, void *ctx);

/* ---- policies (packet mode) --------------------------------------------------------------- */

enum nicsec_hal_policy_action {
  NICSEC_HAL_POLICY_PROTECT = 1, /* use the SA(s) with this reqid */
  NICSEC_HAL_POLICY_BYPASS,      /* IKE traffic (UDP 500/4500) must bypass a HW policy DB */
  NICSEC_HAL_POLICY_DISCARD,
};

struct nicsec_hal_policy {
  enum nicsec_hal_dir dir;
  struct nicsec_hal_selector sel;
  enum nicsec_hal_policy_action action;
  uint32_t reqid;    /* PROTECT only */
  uint32_t priority; /* lower value wins */
};

typedef uint64_t nicsec_hal_policy_id;

enum nicsec_hal_err nicsec_hal_policy_add(struct nicsec_hal_dev *dev,
                                          const struct nicsec_hal_policy *pol,
                                          nicsec_hal_policy_id *id);
enum nicsec_hal_err nicsec_hal_policy_del(struct nicsec_hal_dev *dev, nicsec_hal_policy_id id);

/* ---- events ------------------------------------------------------------------------------- */

enum nicsec_hal_event_type {
  NICSEC_HAL_EV_SOFT_PACKETS = 1, /* soft packet limit reached: rekey */
  NICSEC_HAL_EV_HARD_PACKETS,     /* hard packet limit reached: SA refuses traffic */
  NICSEC_HAL_EV_SOFT_BYTES,
  NICSEC_HAL_EV_HARD_BYTES,
  NICSEC_HAL_EV_ESN_WRAP,         /* the low 32 SN bits wrapped (high half incremented) */
  NICSEC_HAL_EV_SN_EXHAUSTED,     /* outbound SA sent its last SN: rekey now */
  NICSEC_HAL_EV_OVERFLOW,         /* events were lost (queue full); re-read all SA stats */
};

struct nicsec_hal_event {
  enum nicsec_hal_event_type type;
  nicsec_hal_sa_id sa;   /* 0 for NICSEC_HAL_EV_OVERFLOW */
  enum nicsec_hal_dir dir;
  uint32_t spi;
  uint32_t reqid;
  uint64_t value;        /* the counter value that triggered the event (packets/bytes/seq) */
};

/* Moves up to max pending events into evs; *n receives how many (0 when none). Each limit fires
 * once per SA (again after NICSEC_HAL_UPD_LIMITS). */
enum nicsec_hal_err nicsec_hal_poll_events(struct nicsec_hal_dev *dev, struct nicsec_hal_event *evs,
                                           size_t max, size_t *n);

/* ---- host datapath (caps.host_datapath) ----------------------------------------------------- */

/* Packet buffers are full IP packets (no link-layer header).
 * encap: `in` is the plaintext IP packet; `out` receives the outer IP packet (outer IPv4/IPv6
 *   header, UDP header if the SA encapsulates, ESP). Tunnel mode wraps the whole packet (next
 *   header 4/41); transport mode keeps its IP header and protects the payload; BEET mode
 *   replaces the IP header (whose addresses must be the SA's beet pair) by an outer one and
 *   protects the payload, IPv4 options travelling in a pseudo header (next header 94).
 * decap: `in` is an outer IP packet carrying ESP or ESP-in-UDP; the SA is found by SPI; `out`
 *   receives the plaintext IP packet; *sa (may be NULL) receives the SA that took the packet.
 * The caller keeps ownership of both buffers; in and out must not overlap.
 * Backends without a host datapath return NICSEC_HAL_E_NOT_SUPPORTED. */
enum nicsec_hal_err nicsec_hal_encap(struct nicsec_hal_dev *dev, nicsec_hal_sa_id id,
                                     const uint8_t *in, size_t in_len, uint8_t *out,
                                     size_t out_cap, size_t *out_len);
enum nicsec_hal_err nicsec_hal_decap(struct nicsec_hal_dev *dev, const uint8_t *in, size_t in_len,
                                     uint8_t *out, size_t out_cap, size_t *out_len,
                                     nicsec_hal_sa_id *sa);

/* Worst-case growth of a packet by encap (outer IPv6 + UDP + ESP header + IV + padding +
 * trailer + ICV); size output buffers as in_len + NICSEC_HAL_ENCAP_OVERHEAD. */
#define NICSEC_HAL_ENCAP_OVERHEAD (40 + 8 + 8 + 8 + 3 + 2 + 16)

/* ---- datapath I/O, driven by the caller's event loop (caps.host_datapath) ----------------- */

/* A host-datapath device can also move the packets itself, so that two hosts pass real traffic:
 * plaintext IP packets on a TUN device, ESP on raw IP sockets (protocol 50) and ESP-in-UDP
 * (RFC 3948) on the caller's UDP socket. The caller owns that socket because IKE shares the
 * port: it hands every datagram to nicsec_hal_dp_deliver_udp first and treats it as IKE only
 * when the device answers NICSEC_HAL_E_PKT_NOT_ESP.
 *
 * No thread hides inside the device. The caller's event loop (epoll, poll) watches the
 * descriptors nicsec_hal_dp_fds lists for readability and calls nicsec_hal_dp_poll_in(fd) when
 * one is readable; every descriptor is non-blocking and nothing else needs waking.
 *
 * Outbound, per plaintext packet read from the TUN device:
 *  1. the OUT policies are matched (nicsec_hal_policy_add): the most specific selector wins
 *     (longer destination prefix, then longer source prefix, then protocol, then ports), then
 *     the lower priority value; PROTECT picks the newest active outbound SA with the policy's
 *     reqid, DISCARD drops, BYPASS drops too (a TUN device has no clear path to bypass to);
 *  2. when no OUT policy matches, the newest active outbound SA whose own selector (sa.sel,
 *     has_sel) matches is used, most specific first; so a daemon that installs SAs with
 *     selectors and no policies still has working routes;
 *  3. the packet is encapsulated and sent: bare ESP on the raw socket of the SA's family,
 *     ESP-in-UDP on the caller's UDP socket of that family (nicsec_hal_dp_attach_udp) to the
 *     SA's destination and encap.dport, from the SA's source address (the socket's bound port
 *     is the source port).
 * Inbound: ESP from the raw sockets and from nicsec_hal_dp_deliver_udp is decapsulated as by
 * nicsec_hal_decap and the plaintext written to the TUN device.
 * Packets that fail are dropped and counted: per SA and per device drop reason as for
 * nicsec_hal_encap / nicsec_hal_decap, and in nicsec_hal_dp_stats. The device sends no ICMP:
 * give the TUN device an MTU that leaves room for NICSEC_HAL_ENCAP_OVERHEAD. Routing is the
 * operator's: the inner networks route into the TUN device, the peer's outer address must not
 * (so transport-mode SAs, whose outer address is the inner one, need policy routing).
 *
 * Threads: the dp_ calls of one device share its packet buffers, so they must come from one
 * thread at a time (the event loop); they may run concurrently with every other call.
 * Backends without datapath I/O, and soft devices opened without a TUN device, answer
 * NICSEC_HAL_E_NOT_SUPPORTED. */

enum { NICSEC_HAL_DP_MAX_FDS = 8 };

/* The descriptors to watch for readability; *n receives how many (<= NICSEC_HAL_DP_MAX_FDS).
 * They stay valid until nicsec_hal_close, which closes them. */
enum nicsec_hal_err nicsec_hal_dp_fds(struct nicsec_hal_dev *dev, int *fds, size_t max,
                                      size_t *n);

/* Processes up to `budget` packets waiting on fd (0 = a default of 64) and returns; *done (may
 * be NULL) receives how many were read. Fewer than budget means fd would now block. Per-packet
 * failures are counted, not returned; errors: NICSEC_HAL_E_INVAL (fd is not one of the
 * device's), NICSEC_HAL_E_DEVICE (the descriptor itself failed, e.g. the TUN device vanished). */
enum nicsec_hal_err nicsec_hal_dp_poll_in(struct nicsec_hal_dev *dev, int fd, size_t budget,
                                          size_t *done);

/* Lends the device the caller's UDP socket (bound to the NAT-T port, usually 4500) for
 * sending ESP-in-UDP; one per address family, the family is read from the socket. The caller
 * keeps ownership and keeps it open until nicsec_hal_close (or until it attaches another). */
enum nicsec_hal_err nicsec_hal_dp_attach_udp(struct nicsec_hal_dev *dev, int fd);

/* A UDP endpoint: address and port (host order). */
struct nicsec_hal_endpoint {
  struct nicsec_hal_addr addr;
  uint16_t port;
};

/* One datagram received on the caller's NAT-T socket: `data` is the UDP payload as received,
 * `from` the peer, `to` the local address and port it arrived on (IP_PKTINFO; transport mode
 * rebuilds the plaintext's IP header from both). Returns
 *   NICSEC_HAL_OK                ESP, decapsulated and written to the TUN device;
 *   NICSEC_HAL_E_PKT_NOT_ESP     not ESP (non-ESP marker: IKE; a lone 0xff: NAT keepalive):
 *                                the caller's to handle, nothing was counted;
 *   another NICSEC_HAL_E_PKT_*   ESP that was dropped (and counted) for that reason. */
enum nicsec_hal_err nicsec_hal_dp_deliver_udp(struct nicsec_hal_dev *dev, const uint8_t *data,
                                              size_t len, const struct nicsec_hal_endpoint *from,
                                              const struct nicsec_hal_endpoint *to);

/* Datapath I/O counters of a device (packets). */
struct nicsec_hal_dp_stats {
  uint64_t plain_in, plain_out; /* read from / written to the TUN device */
  uint64_t esp_in, esp_out;     /* ESP received / sent, raw sockets and UDP together */
  uint64_t udp_in, udp_out;     /* of which ESP-in-UDP */
  uint64_t no_policy;           /* plaintext matching no OUT policy and no SA selector */
  uint64_t policy_drops;        /* plaintext matching a DISCARD or BYPASS policy */
  uint64_t no_sa;               /* plaintext whose PROTECT policy has no active SA (acquire) */
  uint64_t encap_errors;        /* refused by encap (reason counted per SA) */
  uint64_t decap_errors;        /* ESP refused by decap (reason counted per SA or device) */
  uint64_t io_errors;           /* a send or TUN write failed (queue full, MTU, no socket) */
};
enum nicsec_hal_err nicsec_hal_dp_stats(struct nicsec_hal_dev *dev,
                                        struct nicsec_hal_dp_stats *out);

/* ---- helpers shared by all backends ------------------------------------------------------ */

/* Checks one SA against the capabilities alone (no table state): the first rule it breaks. */
enum nicsec_hal_err nicsec_hal_sa_check(const struct nicsec_hal_caps *caps,
                                        const struct nicsec_hal_sa *sa);
/* Key length in octets the algorithm needs; 0 for an unknown algorithm. */
size_t nicsec_hal_alg_key_len(enum nicsec_hal_alg alg);
/* Short names for tables and config ("aes-gcm-128", "tunnel", "in", "packet"). */
const char *nicsec_hal_alg_name(enum nicsec_hal_alg alg);
const char *nicsec_hal_mode_name(enum nicsec_hal_mode mode);
const char *nicsec_hal_dir_name(enum nicsec_hal_dir dir);
const char *nicsec_hal_offload_name(enum nicsec_hal_offload offload);
const char *nicsec_hal_event_name(enum nicsec_hal_event_type type);

#ifdef __cplusplus
}
#endif

#endif /* NICSEC_HAL_H */
