// ESP egress, one 128-bit lane: tunnel mode over IPv4 or transport mode (RFC 4303 3.1.1) on the
// packet's own IPv4 (options allowed) or IPv6 header (no extension headers); ESP or ESP-in-UDP
// (RFC 3948; IPv6 transport only without UDP, see below).
//
// Host TX stream in (crypto offload: the SA slot travels as metadata with the first beat,
// together with the packet length from the TX descriptor); wire TX stream out. Per packet:
//   head     reads the SA, checks it (active, hard limits, SN space) and the IP header, takes
//            SN = last + 1 and counts the packet (so a later stage never has to refuse it).
//            Tunnel decides on the first beat (still held on the input); transport first gathers
//            the beats holding the IP header (2 for IPv4 without options, 3 for IPv6, up to 4),
//            because it must check and copy all of it
//   events   raises ESN-wrap / SN-exhausted / limit events into the event FIFO
//   issue    gcm_core descriptor (nonce = salt || SN, AAD = SPI || SN or SPI || SN-hi || SN-lo),
//            the AAD block, then the protected octets with the RFC 4303 trailer merged in
//            (padding 1, 2, 3... to a 4-octet boundary, pad length, next header). Tunnel
//            protects the whole packet (next header 4 / 41); transport protects what follows
//            the IP header (next header = the packet's protocol), realigned onto block
//            boundaries from the last header beat and the next input beat
//   packer   outer header + SPI + SN + IV (= the 64-bit SN), ciphertext, ICV. Tunnel: a fresh
//            IPv4 header. Transport: the packet's header with protocol / next header 50 (17
//            with UDP), total / payload length and the IPv4 checksum rewritten
// A refused packet is consumed and dropped; every packet gets one completion (c_*) with its
// PKT_STATUS code, in order.
//
// Cost: the issue stage spends 2 + ceil((L + pad + 2) / 16) clocks per packet (descriptor/AAD
// and text) plus 2 head clocks (IDLE, DECIDE; +1 per event; transport +1 per gathered beat
// after the first and +1 to decide); gcm_core's lengths slot of a packet overlaps the next
// packet's IDLE. The packer takes one clock per full header chunk and one per ciphertext/ICV
// chunk (+1 flush when the ICV overflows a beat); a 4-entry FIFO between them absorbs their
// different idle clocks, so tunnel egress runs at ceil(text / 16) + 4 clocks per packet (1,500
// octets: 98 clocks, 15.3 octets per clock). The tunnel IPv4 header: TOS copied from the inner
// packet, ID from a per-SA counter, DF clear, TTL 64, checksum computed here. UDP checksum 0
// (RFC 3948 over IPv4); over IPv6 the UDP checksum would cover the ciphertext, which leaves
// after the header, so an IPv6 transport SA with UDP encapsulation is refused (UNSUPPORTED; the
// driver does not install one). Transport mode leaves the TCP/UDP checksum inside the payload
// to the host (RFC 3948 3.1.2 is about the receiver's NAT fix-up, a host-stack matter).
module esp_egress
  import nicsec_regs_pkg::*;
  import esp_pkg::*;
#(
    parameter int NUM_SA = 64,
    localparam int SA_W = (NUM_SA > 1) ? $clog2(NUM_SA) : 1,
    // outer header octets: IPv4 with options (60) + UDP + ESP header + IV = 84, in 16-octet chunks
    localparam int HDR_MAX = 96,
    localparam int HDR_BITS = 8 * HDR_MAX
) (
    input logic clk,
    input logic rst,
    input logic enable,

    input  logic         s_valid,
    output logic         s_ready,
    input  logic [127:0] s_data,
    input  logic         s_last,
    input  logic [ 15:0] s_sa,   // first beat: SA slot
    input  logic [ 15:0] s_len,  // first beat: packet length in octets

    output logic         m_valid,
    input  logic         m_ready,
    output logic [127:0] m_data,
    output logic [  4:0] m_nbytes,
    output logic         m_last,

    output logic        c_valid,
    input  logic        c_ready,
    output logic [15:0] c_sa,
    output logic [ 3:0] c_code,

    output logic        ev_valid,
    input  logic        ev_ready,
    output logic [ 3:0] ev_type,
    output logic [15:0] ev_sa,
    output logic [63:0] ev_value,

    input  logic                            mb_start,
    input  logic       [               2:0] mb_op,
    input  logic       [              15:0] mb_idx,
    input  rec_words_t                      mb_words,
    input  logic       [             255:0] mb_key,
    output logic                            mb_busy,
    output logic                            mb_err,
    output logic                            mb_done,
    output rec_words_t                      mb_rd_words,
    output logic       [PROBE_WORDS*32-1:0] mb_probe
);
  typedef enum logic [3:0] {
    H_IDLE,
    H_DECIDE,
    H_GATHER,   // transport: collecting the IP header beats
    H_TDECIDE,  // transport: deciding on the gathered header
    H_EVENTS,
    H_START,
    H_AAD,
    H_TEXT,
    H_COMPL,
    H_DRAIN
  } head_e;

  head_e state;
  logic [15:0] sa_q, len_q;
  logic [SA_W-1:0] slot;
  sa_cfg_t cfg;
  sa_dyn_t dyn, dyn_next;
  logic dp_we;

  // ---- SA table and GCM -----------------------------------------------------------------------
  logic inst_valid, inst_ready, inst_is256, inst_zeroize, inst_done;
  logic [SA_W-1:0] inst_sa, dbg_sa;
  logic [255:0] inst_key;
  logic dbg_req, dbg_done;
  logic [127:0] dbg_rk0, dbg_h;

  /* verilator lint_off PINCONNECTEMPTY */
  esp_sa_table #(
      .NUM_SA(NUM_SA),
      .WIN(1)
  ) u_table (
      .clk, .rst,
      .a_idx(slot), .a_cfg(cfg), .a_dyn(dyn), .a_bitmap(),
      .b_idx(slot), .b_cfg(), .b_dyn(), .b_bitmap(),
      .dp_we, .dp_idx(slot), .dp_dyn(dyn_next), .dp_bitmap(1'b0),
      .mb_start, .mb_op, .mb_idx, .mb_words, .mb_key, .mb_busy, .mb_err, .mb_done,
      .mb_rd_words, .mb_probe,
      .inst_valid, .inst_ready, .inst_sa, .inst_key, .inst_is256, .inst_zeroize, .inst_done,
      .dbg_req, .dbg_sa, .dbg_done, .dbg_rk0, .dbg_h
  );
  /* verilator lint_on PINCONNECTEMPTY */

  logic desc_valid, desc_ready, din_valid, din_ready;
  logic [127:0] din_data;
  logic dout_valid, dout_ready, dout_is_tag, dout_last;
  logic [127:0] dout_data;
  logic [4:0] dout_nbytes;
  logic [63:0] seq_q;
  logic [15:0] text_len_q;

  gcm_core #(
      .NUM_SA(NUM_SA)
  ) u_gcm (
      .clk, .rst,
      .inst_valid, .inst_ready, .inst_sa, .inst_key, .inst_is256, .inst_zeroize, .inst_done,
      .desc_valid, .desc_ready, .desc_sa(slot), .desc_nonce({cfg.salt, seq_q}),
      .desc_aad_len(cfg.esn ? 16'd12 : 16'd8), .desc_text_len(text_len_q),
      .desc_icv_len(cfg.icv_len), .desc_decrypt(1'b0),
      .din_valid, .din_ready, .din_data,
      .dout_valid, .dout_ready, .dout_data, .dout_nbytes, .dout_is_tag, .dout_last,
      .dbg_req, .dbg_sa, .dbg_done, .dbg_rk0, .dbg_h
  );

  // ---- head: tunnel decides on the first beat (still held on s_data) --------------------------
  wire [3:0] version = s_data[127:124];
  wire [15:0] v4_total = {byte_at(s_data, 2), byte_at(s_data, 3)};
  wire [16:0] v6_total = 17'd40 + {1'b0, byte_at(s_data, 4), byte_at(s_data, 5)};
  logic [16:0] inner_len;
  logic [7:0] inner_tos, next_header;
  logic inner_ok;
  always_comb begin
    inner_len = '0;
    inner_tos = '0;
    next_header = 8'd4;
    inner_ok = 1'b0;
    if (version == 4'd4) begin
      inner_len = {1'b0, v4_total};
      inner_tos = byte_at(s_data, 1);
      inner_ok = v4_total >= 16'd20 && {1'b0, v4_total} <= {1'b0, len_q};
    end else if (version == 4'd6) begin
      inner_len = v6_total;
      inner_tos = {s_data[123:120], s_data[119:116]};
      next_header = 8'd41;
      inner_ok = v6_total <= {1'b0, len_q};
    end
  end

  // IP header beats to gather in transport mode (decided on the first beat; at most 4).
  wire [6:0] v4_hl_first = {1'b0, s_data[123:120], 2'b00};
  wire [2:0] need_beats = version == 4'd6 ? 3'd3 :
                          version == 4'd4 && v4_hl_first > 7'd16 ? 3'((v4_hl_first + 7'd15) >> 4) :
                          3'd1;

  // ---- transport: the gathered IP header (octet 0 in bits 511:504, zeros after the packet) ----
  logic [511:0] hb_q;
  logic [2:0] need_q;
  function automatic logic [7:0] hbyte(input logic [511:0] h, input int i);
    return h[511-8*i-:8];
  endfunction
  wire [3:0] t_ver = hb_q[511:508];
  wire t_v4 = t_ver == 4'd4;
  wire [6:0] t_hl = t_v4 ? {1'b0, hb_q[507:504], 2'b00} : 7'd40;
  wire [15:0] t_v4_total = {hbyte(hb_q, 2), hbyte(hb_q, 3)};
  wire [16:0] t_total = t_v4 ? {1'b0, t_v4_total} : 17'd40 + {1'b0, hbyte(hb_q, 4), hbyte(hb_q, 5)};
  wire [7:0] t_proto = t_v4 ? hbyte(hb_q, 9) : hbyte(hb_q, 6);
  // the header alone: octets at and after t_hl cleared (they are payload)
  wire [511:0] t_hdr_in = hb_q & ~({512{1'b1}} >> (8 * t_hl));
  wire t_v4_frag = ({hbyte(hb_q, 6), hbyte(hb_q, 7)} & 16'h3fff) != 16'd0;

  // ---- both modes: lengths, trailer, header (inputs from the decision being made) -------------
  wire in_t = state == H_TDECIDE;
  wire [16:0] pkt_total = in_t ? t_total : inner_len;  // octets of the IP packet
  wire [6:0] hl = in_t ? t_hl : 7'd20;  // outer IP header octets
  wire [16:0] pay_len = in_t ? t_total - 17'(t_hl) : inner_len;  // octets protected
  wire [1:0] pad = 2'(-(pay_len + 17'd2));
  wire [16:0] text_len = pay_len + 17'(pad) + 17'd2;
  wire [17:0] esp_len = 18'd16 + 18'(text_len) + 18'(cfg.icv_len);
  wire [17:0] udp_len = esp_len + 18'd8;
  wire [17:0] outer_len = (cfg.udp ? udp_len : esp_len) + 18'(hl);
  // IPv4 total length, or the IPv6 payload length, must fit 16 bits
  wire too_big = outer_len - (in_t && !t_v4 ? 18'd40 : 18'd0) > 18'd65535;
  wire [63:0] last_sn = cfg.esn ? 64'hffff_ffff_ffff_ffff : 64'h0000_0000_ffff_ffff;
  wire [63:0] seq_next = dyn.seq + 64'd1;
  wire slot_ok = sa_q < 16'(NUM_SA);

  logic [3:0] sa_code, tunnel_code, transport_code, code;
  always_comb begin
    if (!slot_ok || !cfg.active) sa_code = 4'(PKT_STATUS_NO_SA);
    else if (hard_expired(cfg, dyn)) sa_code = 4'(PKT_STATUS_EXPIRED);
    else if (dyn.seq >= last_sn) sa_code = 4'(PKT_STATUS_SN_EXHAUSTED);
    else sa_code = 4'(PKT_STATUS_OK);
  end
  always_comb begin
    if (!inner_ok) tunnel_code = 4'(PKT_STATUS_MALFORMED);
    else if (too_big) tunnel_code = 4'(PKT_STATUS_TOO_BIG);
    else tunnel_code = 4'(PKT_STATUS_OK);
  end
  // Same order as the soft engine: header sanity, then what transport cannot carry, then the
  // SA's family, then the size.
  always_comb begin
    if (t_v4) begin
      if (len_q < 16'd20 || t_hl < 7'd20 || t_v4_total < 16'(t_hl) || t_v4_total > len_q ||
          ones_sum64(t_hdr_in) != 16'hffff)
        transport_code = 4'(PKT_STATUS_MALFORMED);
      else if (t_v4_frag || t_proto == 8'd59) transport_code = 4'(PKT_STATUS_UNSUPPORTED);
      else if (cfg.ipv6) transport_code = 4'(PKT_STATUS_POLICY);
      else if (too_big) transport_code = 4'(PKT_STATUS_TOO_BIG);
      else transport_code = 4'(PKT_STATUS_OK);
    end else if (t_ver == 4'd6) begin
      if (len_q < 16'd40 || t_total > 17'(len_q)) transport_code = 4'(PKT_STATUS_MALFORMED);
      else if (ipv6_ext_header(t_proto) || t_proto == 8'd59)
        transport_code = 4'(PKT_STATUS_UNSUPPORTED);
      else if (!cfg.ipv6) transport_code = 4'(PKT_STATUS_POLICY);
      else if (cfg.udp) transport_code = 4'(PKT_STATUS_UNSUPPORTED);  // see the top comment
      else if (too_big) transport_code = 4'(PKT_STATUS_TOO_BIG);
      else transport_code = 4'(PKT_STATUS_OK);
    end else transport_code = 4'(PKT_STATUS_MALFORMED);
  end
  always_comb begin
    if (sa_code != 4'(PKT_STATUS_OK)) code = sa_code;
    else if (in_t) code = transport_code;
    else if (cfg.transport) code = 4'(PKT_STATUS_OK);  // H_DECIDE: gather the header first
    else code = tunnel_code;
  end

  ev_bits_t ev_now;
  always_comb begin
    dyn_next = dyn;
    dyn_next.seq = seq_next;
    dyn_next.packets = dyn.packets + 64'd1;
    dyn_next.bytes = dyn.bytes + 64'(pkt_total);
    dyn_next.ip_id = dyn.ip_id + (cfg.transport ? 16'd0 : 16'd1);  // only tunnel makes headers
    ev_now = limit_events(cfg, dyn_next);
    ev_now[EVENT_TYPE_ESN_WRAP] = cfg.esn && seq_next[31:0] == 32'd0;
    ev_now[EVENT_TYPE_SN_EXHAUSTED] = seq_next == last_sn;
    dyn_next.fired = dyn.fired | fired_bits(ev_now);
  end
  // the decision that counts the packet: tunnel on the first beat, transport on the header
  wire deciding = (state == H_DECIDE && !cfg.transport) || in_t;
  assign dp_we = deciding && code == 4'(PKT_STATUS_OK);
  // The table read is registered: while idle it is addressed with the SA slot metadata of the
  // packet on the input, so the SA's words are there in H_DECIDE (and stay while gathering).
  assign slot = state == H_IDLE ? SA_W'(s_sa) : SA_W'(sa_q);

  // Outer header, RFC 791 / RFC 8200 / RFC 768 / RFC 4303: the IP header (64 octets, zeros
  // after hl), then [UDP] SPI, SN, IV placed right behind it.
  logic [159:0] tun_ip;
  logic [511:0] t_ip, ip_part;
  logic [191:0] esp_part;
  logic [HDR_BITS-1:0] header;
  wire [7:0] esp_proto = cfg.udp ? 8'd17 : 8'd50;
  always_comb begin
    tun_ip = {8'h45, inner_tos, outer_len[15:0], dyn.ip_id, 16'h0000, 8'd64, esp_proto, 16'h0000,
              cfg.src, cfg.dst};
    tun_ip[79:64] = ~ones_sum64({tun_ip, 352'd0});
    t_ip = t_hdr_in;
    if (t_v4) begin
      t_ip[511-16-:16] = outer_len[15:0];
      t_ip[511-72-:8] = esp_proto;
      t_ip[511-80-:16] = 16'h0000;
      t_ip[511-80-:16] = ~ones_sum64(t_ip);
    end else begin
      t_ip[511-32-:16] = 16'(outer_len - 18'd40);
      t_ip[511-48-:8] = esp_proto;
    end
    ip_part = in_t ? t_ip : {tun_ip, 352'd0};
    if (cfg.udp)
      esp_part = {cfg.sport, cfg.dport, udp_len[15:0], 16'h0000, cfg.spi, seq_next[31:0], seq_next};
    else esp_part = {cfg.spi, seq_next[31:0], seq_next, 64'd0};
    header = {ip_part, 256'd0} | ({esp_part, (HDR_BITS - 192)'(0)} >> (8 * hl));
  end
  wire [6:0] hdr_len = hl + (cfg.udp ? 7'd24 : 7'd16);

  // ---- registered per-packet state --------------------------------------------------------------
  ev_bits_t ev_q;
  sa_dyn_t dyn_q;
  logic [3:0] code_q;
  logic [16:0] pay_len_q, total_q;
  logic [3:0] sh_q;  // protected octets start this far into an input beat
  logic [1:0] pad_q;
  logic [7:0] nh_q;
  logic [HDR_BITS-1:0] header_q;
  logic [6:0] hdr_len_q;
  logic [11:0] blk;  // text block being issued
  logic [11:0] last_blk;
  logic [12:0] nb;  // input beats consumed
  logic [127:0] prev_q;  // the last input beat consumed
  logic got_last;

  // header FIFO towards the packer (headers run ahead of the ciphertext by the GCM latency)
  localparam int HDR_DEPTH = 4;
  logic [HDR_DEPTH-1:0][HDR_BITS+6:0] hdr_fifo;
  logic [2:0] hdr_count;
  logic hdr_push, hdr_pop;
  wire hdr_space = hdr_count < 3'(HDR_DEPTH);

  wire c_free = !c_valid || c_ready;
  wire start_go = state == H_START && desc_ready && hdr_space && c_free;
  assign desc_valid = state == H_START && hdr_space && c_free;
  assign hdr_push = start_go;

  // text block: protected octets (input octets from the IP header's end, realigned: the tail
  // of the previous beat then the head of the next), then the trailer
  wire take_input = {nb, 4'd0} < total_q;
  wire [127:0] cur = take_input ? s_data : 128'd0;
  wire [127:0] src_block = sh_q == 4'd0 ? cur : (prev_q << (8 * sh_q)) | (cur >> (8 * (16 - sh_q)));
  logic [127:0] text_block;
  always_comb begin
    for (int j = 0; j < 16; j++) begin
      logic [16:0] pos;
      logic [16:0] k;
      logic [7:0] b;
      pos = 17'({blk, 4'd0}) + 17'(j);
      k = pos - pay_len_q;
      if (pos < pay_len_q) b = byte_at(src_block, j);
      else if (k < 17'(pad_q)) b = 8'(k + 17'd1);
      else if (k == 17'(pad_q)) b = 8'(pad_q);
      else if (k == 17'(pad_q) + 17'd1) b = nh_q;
      else b = 8'd0;
      text_block[127-8*j-:8] = b;
    end
  end

  wire [127:0] aad_block = cfg.esn ? {cfg.spi, seq_q, 32'd0} : {cfg.spi, seq_q[31:0], 64'd0};
  assign din_valid = (state == H_AAD) || (state == H_TEXT && (!take_input || s_valid));
  assign din_data = state == H_AAD ? aad_block : text_block;
  wire din_fire = din_valid && din_ready;

  wire gather_first = state == H_DECIDE && cfg.transport && code == 4'(PKT_STATUS_OK);
  assign s_ready = (state == H_TEXT && take_input && din_ready) || state == H_DRAIN ||
                   gather_first || state == H_GATHER;
  wire s_fire = s_valid && s_ready;
  wire gather_done = s_last || nb + 13'd1 == 13'(need_q);

  always_ff @(posedge clk) begin
    if (rst) begin
      state <= H_IDLE;
      c_valid <= 1'b0;
    end else begin
      if (c_valid && c_ready) c_valid <= 1'b0;
      unique case (state)
        H_IDLE: if (enable && s_valid) state <= H_DECIDE;
        // A tunnel packet without events goes straight to the descriptor: the per-packet
        // overhead is then IDLE + DECIDE, and IDLE overlaps gcm_core's lengths slot of the
        // previous packet.
        H_DECIDE:
        if (code != 4'(PKT_STATUS_OK)) state <= H_COMPL;
        else if (cfg.transport) state <= (s_last || need_beats == 3'd1) ? H_TDECIDE : H_GATHER;
        else state <= ev_now != '0 ? H_EVENTS : H_START;
        H_GATHER: if (s_fire && gather_done) state <= H_TDECIDE;
        H_TDECIDE:
        state <= code != 4'(PKT_STATUS_OK) ? H_COMPL : ev_now != '0 ? H_EVENTS : H_START;
        H_EVENTS: if (ev_q == '0) state <= H_START;
        H_START:
        if (start_go) begin
          state   <= H_AAD;
          c_valid <= 1'b1;
          c_sa    <= sa_q;
          c_code  <= 4'(PKT_STATUS_OK);
        end
        H_AAD: if (din_fire) state <= H_TEXT;
        H_TEXT:
        if (din_fire && blk == last_blk) begin
          state <= (got_last || (s_fire && s_last)) ? H_IDLE : H_DRAIN;
        end
        H_COMPL:
        if (c_free) begin
          state   <= got_last ? H_IDLE : H_DRAIN;
          c_valid <= 1'b1;
          c_sa    <= sa_q;
          c_code  <= code_q;
        end
        default: if (s_fire && s_last) state <= H_IDLE;  // H_DRAIN
      endcase
    end
  end

  always_ff @(posedge clk) begin
    unique case (state)
      H_IDLE: begin
        sa_q <= s_sa;
        len_q <= s_len;
        nb <= '0;
        got_last <= 1'b0;
      end
      H_DECIDE: begin
        need_q <= need_beats;
        hb_q <= {s_data, 384'd0};
        blk <= '0;
      end
      H_GATHER: if (s_fire) hb_q[511-128*nb[1:0]-:128] <= s_data;
      H_EVENTS: if (ev_valid && ev_ready) ev_q[3'(ev_type)] <= 1'b0;
      default: ;
    endcase
    if (state == H_DECIDE || in_t) begin
      code_q <= code;
      ev_q <= ev_now;
      dyn_q <= dyn_next;
      seq_q <= seq_next;
      pay_len_q <= pay_len;
      total_q <= pkt_total;
      sh_q <= in_t ? t_hl[3:0] : 4'd0;
      pad_q <= pad;
      nh_q <= in_t ? t_proto : next_header;
      text_len_q <= text_len[15:0];
      last_blk <= 12'((text_len - 17'd1) >> 4);
      header_q <= header;
      hdr_len_q <= hdr_len;
    end
    if (state == H_TEXT && din_fire) blk <= blk + 12'd1;
    if (s_fire) begin
      nb <= nb + 13'd1;
      prev_q <= s_data;
    end
    if (s_fire && s_last) got_last <= 1'b1;
  end

  assign ev_valid = state == H_EVENTS && ev_q != '0;
  assign ev_type = first_event(ev_q);
  assign ev_sa = sa_q;
  assign ev_value = event_value(ev_type, dyn_q);

  always_ff @(posedge clk) begin
    if (rst) begin
      hdr_count <= '0;
    end else begin
      if (hdr_pop) for (int i = 0; i < HDR_DEPTH - 1; i++) hdr_fifo[i] <= hdr_fifo[i+1];
      if (hdr_push) hdr_fifo[2'(hdr_count-(hdr_pop ? 3'd1 : 3'd0))] <= {hdr_len_q, header_q};
      hdr_count <= hdr_count + (hdr_push ? 3'd1 : 3'd0) - (hdr_pop ? 3'd1 : 3'd0);
    end
  end

  // Body FIFO between gcm_core and the packer. Per packet gcm_core's output has three empty
  // clocks (the lengths slot, J0, AAD) and the packer three clocks that take no body (two
  // header chunks, the flush); coupled directly they do not line up and stall each other once
  // per packet. Four entries absorb the skew, so both run at their own ceil(text / 16) + 4.
  localparam int BODY_DEPTH = 4;
  typedef struct packed {
    logic         last;
    logic [4:0]   nbytes;
    logic [127:0] data;
  } body_t;
  body_t body_mem[BODY_DEPTH];
  logic [2:0] body_wr, body_rd;  // one bit more than the index: full vs empty
  logic body_take;
  wire body_valid = body_wr != body_rd;
  assign dout_ready = body_wr - body_rd != 3'(BODY_DEPTH);
  body_t body_head;
  assign body_head = body_mem[body_rd[1:0]];

  always_ff @(posedge clk) begin
    if (rst) begin
      body_wr <= '0;
      body_rd <= '0;
    end else begin
      if (dout_valid && dout_ready) begin
        body_mem[body_wr[1:0]] <= '{last: dout_last, nbytes: dout_nbytes, data: dout_data};
        body_wr <= body_wr + 3'd1;
      end
      if (body_valid && body_take) body_rd <= body_rd + 3'd1;
    end
  end

  esp_tx_packer #(
      .HDR_MAX(HDR_MAX)
  ) u_packer (
      .clk, .rst,
      .hdr_valid(hdr_count != 0),
      .hdr_pop,
      .hdr_data(hdr_fifo[0][HDR_BITS-1:0]),
      .hdr_len(hdr_fifo[0][HDR_BITS+6:HDR_BITS]),
      .body_valid(body_valid),
      .body_ready(body_take),
      .body_data(body_head.data),
      .body_nbytes(body_head.nbytes),
      .body_last(body_head.last),
      .m_valid, .m_ready, .m_data, .m_nbytes, .m_last
  );

  /* verilator lint_off UNUSEDSIGNAL */
  wire unused = ^{dout_is_tag, dyn_q.replay_drops};
  /* verilator lint_on UNUSEDSIGNAL */
endmodule
