// Types and small functions shared by the ESP egress and ingress pipelines, the SA table and the
// engine top: the per-SA record (static configuration and datapath state), its mapping onto the
// SA_* mailbox registers, and the lifetime-limit rule both directions apply per packet.
// Functions take whole records and use some fields of them.
/* verilator lint_off UNUSEDSIGNAL */
package esp_pkg;
  import nicsec_regs_pkg::*;

  localparam int REC_WORDS = 24;  // SA_SPI .. SA_WINDOW_SEEN
  localparam int KEY_WORDS = 8;  // SA_KEY0..7
  localparam int PROBE_WORDS = 8;  // SA_KEYPROBE0..3, SA_HPROBE0..3

  // What INSTALL writes and only INSTALL / UPDATE_LIMITS change.
  typedef struct packed {
    logic        active;
    logic        esn;
    logic        udp;
    logic        is256;
    logic        transport;  // RFC 4303 3.1.1: ESP behind the packet's own IP header
    logic        ipv6;       // transport SA's family
    logic [4:0]  icv_len;
    logic [15:0] window;
    logic [31:0] spi;
    logic [31:0] salt;
    logic [31:0] src;
    logic [31:0] dst;
    logic [15:0] sport;
    logic [15:0] dport;
    logic [63:0] soft_pkts;
    logic [63:0] hard_pkts;
    logic [63:0] soft_bytes;
    logic [63:0] hard_bytes;
  } sa_cfg_t;

  // What the datapath updates per packet (seq: outbound last SN sent, inbound window edge).
  typedef struct packed {
    logic [63:0] seq;
    logic [63:0] packets;
    logic [63:0] bytes;
    logic [31:0] replay_drops;
    logic [31:0] auth_fails;
    logic [31:0] seen;
    logic [15:0] ip_id;
    logic [3:0]  fired;  // limit events raised: soft pkts, hard pkts, soft bytes, hard bytes
  } sa_dyn_t;

  typedef logic [REC_WORDS-1:0][31:0] rec_words_t;  // word i = register 0x100 + 4*i

  localparam int W_SPI = 0, W_SALT = 1, W_FLAGS = 2, W_SRC = 3, W_DST = 4, W_PORTS = 5;
  localparam int W_SEQ = 6, W_SOFT_PKTS = 8, W_HARD_PKTS = 10, W_SOFT_BYTES = 12;
  localparam int W_HARD_BYTES = 14, W_PACKETS = 16, W_BYTES = 18, W_REPLAY = 20, W_AUTH = 21;
  localparam int W_STATE = 22, W_SEEN = 23;

  function automatic logic [63:0] word64(input rec_words_t w, input int i);
    return {w[i+1], w[i]};
  endfunction

  function automatic sa_cfg_t words_to_cfg(input rec_words_t w);
    sa_cfg_t c;
    logic [31:0] f;
    f = w[W_FLAGS];
    c.active = f[SA_FLAGS_ACTIVE_LSB];
    c.esn = f[SA_FLAGS_ESN_LSB];
    c.udp = f[SA_FLAGS_UDP_ENCAP_LSB];
    c.is256 = f[SA_FLAGS_AES256_LSB];
    c.transport = f[SA_FLAGS_TRANSPORT_LSB];
    c.ipv6 = f[SA_FLAGS_IPV6_LSB];
    c.icv_len = f[SA_FLAGS_ICV_LEN_LSB+:5];
    c.window = f[SA_FLAGS_WINDOW_LSB+:16];
    c.spi = w[W_SPI];
    c.salt = w[W_SALT];
    c.src = w[W_SRC];
    c.dst = w[W_DST];
    c.sport = w[W_PORTS][SA_PORTS_SPORT_LSB+:16];
    c.dport = w[W_PORTS][SA_PORTS_DPORT_LSB+:16];
    c.soft_pkts = word64(w, W_SOFT_PKTS);
    c.hard_pkts = word64(w, W_HARD_PKTS);
    c.soft_bytes = word64(w, W_SOFT_BYTES);
    c.hard_bytes = word64(w, W_HARD_BYTES);
    return c;
  endfunction

  function automatic rec_words_t to_words(input sa_cfg_t c, input sa_dyn_t d);
    rec_words_t w;
    w = '0;
    w[W_SPI] = c.spi;
    w[W_SALT] = c.salt;
    w[W_FLAGS][SA_FLAGS_ACTIVE_LSB] = c.active;
    w[W_FLAGS][SA_FLAGS_ESN_LSB] = c.esn;
    w[W_FLAGS][SA_FLAGS_UDP_ENCAP_LSB] = c.udp;
    w[W_FLAGS][SA_FLAGS_AES256_LSB] = c.is256;
    w[W_FLAGS][SA_FLAGS_TRANSPORT_LSB] = c.transport;
    w[W_FLAGS][SA_FLAGS_IPV6_LSB] = c.ipv6;
    w[W_FLAGS][SA_FLAGS_ICV_LEN_LSB+:5] = c.icv_len;
    w[W_FLAGS][SA_FLAGS_WINDOW_LSB+:16] = c.window;
    w[W_SRC] = c.src;
    w[W_DST] = c.dst;
    w[W_PORTS] = {c.sport, c.dport};
    {w[W_SEQ+1], w[W_SEQ]} = d.seq;
    {w[W_SOFT_PKTS+1], w[W_SOFT_PKTS]} = c.soft_pkts;
    {w[W_HARD_PKTS+1], w[W_HARD_PKTS]} = c.hard_pkts;
    {w[W_SOFT_BYTES+1], w[W_SOFT_BYTES]} = c.soft_bytes;
    {w[W_HARD_BYTES+1], w[W_HARD_BYTES]} = c.hard_bytes;
    {w[W_PACKETS+1], w[W_PACKETS]} = d.packets;
    {w[W_BYTES+1], w[W_BYTES]} = d.bytes;
    w[W_REPLAY] = d.replay_drops;
    w[W_AUTH] = d.auth_fails;
    w[W_STATE][SA_STATE_IP_ID_LSB+:16] = d.ip_id;
    w[W_STATE][SA_STATE_FIRED_LSB+:4] = d.fired;
    w[W_SEEN] = d.seen;
    return w;
  endfunction

  // A hard limit reached by earlier packets refuses the next one.
  function automatic logic hard_expired(input sa_cfg_t c, input sa_dyn_t d);
    return (c.hard_pkts != 0 && d.packets >= c.hard_pkts) ||
           (c.hard_bytes != 0 && d.bytes >= c.hard_bytes);
  endfunction

  // Event bits use EVENT_TYPE values as bit positions (bit 0 unused).
  typedef logic [7:0] ev_bits_t;

  // After counting a packet: limit events crossed for the first time (each fires once until
  // UPDATE_LIMITS clears `fired`).
  function automatic ev_bits_t limit_events(input sa_cfg_t c, input sa_dyn_t d);
    ev_bits_t ev;
    ev = '0;
    ev[EVENT_TYPE_SOFT_PACKETS] = c.soft_pkts != 0 && d.packets >= c.soft_pkts && !d.fired[0];
    ev[EVENT_TYPE_HARD_PACKETS] = c.hard_pkts != 0 && d.packets >= c.hard_pkts && !d.fired[1];
    ev[EVENT_TYPE_SOFT_BYTES] = c.soft_bytes != 0 && d.bytes >= c.soft_bytes && !d.fired[2];
    ev[EVENT_TYPE_HARD_BYTES] = c.hard_bytes != 0 && d.bytes >= c.hard_bytes && !d.fired[3];
    return ev;
  endfunction

  function automatic logic [3:0] fired_bits(input ev_bits_t ev);
    return {ev[EVENT_TYPE_HARD_BYTES], ev[EVENT_TYPE_SOFT_BYTES], ev[EVENT_TYPE_HARD_PACKETS],
            ev[EVENT_TYPE_SOFT_PACKETS]};
  endfunction

  // The value an event reports: packets, bytes or the sequence number.
  function automatic logic [63:0] event_value(input logic [3:0] ev_type, input sa_dyn_t d);
    case (ev_type)
      4'(EVENT_TYPE_SOFT_PACKETS), 4'(EVENT_TYPE_HARD_PACKETS): return d.packets;
      4'(EVENT_TYPE_SOFT_BYTES), 4'(EVENT_TYPE_HARD_BYTES): return d.bytes;
      default: return d.seq;
    endcase
  endfunction

  // Byte i of a 128-bit beat (byte 0 in bits 127:120).
  function automatic logic [7:0] byte_at(input logic [127:0] beat, input int i);
    return beat[127-8*i-:8];
  endfunction

  // RFC 1071 one's-complement sum of a header held in 64 octets (zeros beyond its length add
  // nothing), folded to 16 bits: 16'hffff when a header with its checksum field is intact; the
  // complement of the sum with the field zeroed is the checksum to write.
  function automatic logic [15:0] ones_sum64(input logic [511:0] hdr);
    logic [31:0] sum;
    sum = '0;
    for (int i = 0; i < 32; i++) sum += 32'(hdr[511-16*i-:16]);
    sum = (sum & 32'hffff) + (sum >> 16);
    sum = (sum & 32'hffff) + (sum >> 16);
    return sum[15:0];
  endfunction

  // IPv6 next-header values that are extension headers (RFC 8200 4.1, RFC 7045), not payload:
  // transport mode puts ESP right behind the fixed header only.
  function automatic logic ipv6_ext_header(input logic [7:0] nh);
    case (nh)
      8'd0, 8'd43, 8'd44, 8'd51, 8'd60, 8'd135, 8'd139, 8'd140, 8'd253, 8'd254: return 1'b1;
      default: return 1'b0;
    endcase
  endfunction

  // Lowest set event bit (0 when none).
  function automatic logic [3:0] first_event(input ev_bits_t ev);
    for (int i = 1; i < 8; i++) if (ev[i]) return 4'(i);
    return 4'd0;
  endfunction
endpackage
/* verilator lint_on UNUSEDSIGNAL */
