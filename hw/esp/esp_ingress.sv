// ESP ingress, tunnel mode over IPv4 (ESP or ESP-in-UDP, RFC 3948), one 128-bit lane.
//
// Wire RX stream in (packet length from the MAC's RX FIFO as metadata with the first beat);
// host RX stream out with one status per packet (m_code / m_sa on the last beat). Per packet:
//   head    collects the first three beats (outer IPv4, UDP, ESP header, IV), checks the outer
//           header, finds the SA: inbound SAs are indexed by SPI (slot = SPI - spi_base, like
//           NICs whose inbound table is SPI-indexed), checks encapsulation, hard limits and
//           lengths, infers the 64-bit SN (RFC 4303 A2.2) and pre-checks the replay window
//   stream  gcm_core descriptor (nonce = salt || IV, AAD = SPI || SN [|| ESN-hi]), AAD block,
//           then the ciphertext realigned from octet 36 (44 with UDP) onto block boundaries;
//           the ICV octets are captured on the way
//   tail    writes plaintext into the packet buffer while checking the trailer (padding
//           1, 2, 3..., pad length, next header) and the inner IP header; at the tag: window
//           re-check (the window may have moved since the head), ICV compare, window update,
//           counters, events; then commits the packet or rolls the buffer back
//   reader  emits committed packets (inner packet only: padding, trailer and TFC padding
//           stripped) or, for a dropped packet, one empty beat carrying the status
// Verdicts follow RFC 4303 3.4.3 (replay pre-check, ICV, window update, then the trailer).
module esp_ingress
  import nicsec_regs_pkg::*;
  import esp_pkg::*;
#(
    parameter int NUM_SA = 64,
    parameter int WIN = 1024,  // largest replay window, packets (power of two)
    parameter int PB_DEPTH = 4096,  // packet buffer, 16-octet beats
    localparam int SA_W = (NUM_SA > 1) ? $clog2(NUM_SA) : 1,
    localparam int WIN_W = $clog2(WIN),
    localparam int PB_W = $clog2(PB_DEPTH)
) (
    input logic clk,
    input logic rst,
    input logic enable,
    input logic [31:0] spi_base,

    input  logic         s_valid,
    output logic         s_ready,
    input  logic [127:0] s_data,
    input  logic         s_last,
    input  logic [ 15:0] s_len,   // first beat: frame length in octets (IP packet)

    output logic         m_valid,
    input  logic         m_ready,
    output logic [127:0] m_data,
    output logic [  4:0] m_nbytes,
    output logic         m_last,
    output logic [  3:0] m_code,
    output logic [ 15:0] m_sa,

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
  // ---- SA table, GCM --------------------------------------------------------------------------
  logic [SA_W-1:0] a_slot, b_slot;
  sa_cfg_t a_cfg, b_cfg;
  sa_dyn_t a_dyn, b_dyn, dyn_next;
  logic [WIN-1:0] a_bitmap, b_bitmap, bitmap_next;
  logic dp_we;
  logic inst_valid, inst_ready, inst_is256, inst_zeroize, inst_done;
  logic [SA_W-1:0] inst_sa, dbg_sa;
  logic [255:0] inst_key;
  logic dbg_req, dbg_done;
  logic [127:0] dbg_rk0, dbg_h;

  esp_sa_table #(
      .NUM_SA(NUM_SA),
      .WIN(WIN)
  ) u_table (
      .clk, .rst,
      .a_idx(a_slot), .a_cfg, .a_dyn, .a_bitmap,
      .b_idx(b_slot), .b_cfg, .b_dyn, .b_bitmap,
      .dp_we, .dp_idx(b_slot), .dp_dyn(dyn_next), .dp_bitmap(bitmap_next),
      .mb_start, .mb_op, .mb_idx, .mb_words, .mb_key, .mb_busy, .mb_err, .mb_done,
      .mb_rd_words, .mb_probe,
      .inst_valid, .inst_ready, .inst_sa, .inst_key, .inst_is256, .inst_zeroize, .inst_done,
      .dbg_req, .dbg_sa, .dbg_done, .dbg_rk0, .dbg_h
  );

  logic desc_valid, desc_ready, din_valid, din_ready;
  logic [127:0] din_data;
  logic dout_valid, dout_ready, dout_is_tag, dout_last;
  logic [127:0] dout_data;
  logic [4:0] dout_nbytes;
  logic [95:0] nonce_q;
  logic [15:0] ct_len_q;
  logic [4:0] icv_len_q;
  logic esn_q;

  gcm_core #(
      .NUM_SA(NUM_SA)
  ) u_gcm (
      .clk, .rst,
      .inst_valid, .inst_ready, .inst_sa, .inst_key, .inst_is256, .inst_zeroize, .inst_done,
      .desc_valid, .desc_ready, .desc_sa(a_slot), .desc_nonce(nonce_q),
      .desc_aad_len(esn_q ? 16'd12 : 16'd8), .desc_text_len(ct_len_q),
      .desc_icv_len(icv_len_q), .desc_decrypt(1'b1),
      .din_valid, .din_ready, .din_data,
      .dout_valid, .dout_ready, .dout_data, .dout_nbytes, .dout_is_tag, .dout_last,
      .dbg_req, .dbg_sa, .dbg_done, .dbg_rk0, .dbg_h
  );

  // ---- anti-replay (RFC 4303 3.4.3 and A2.2) --------------------------------------------------
  // ESN: the high half that puts the received low half nearest the window. ok = 0 when that
  // high half would leave the 64-bit space (never sent).
  function automatic logic [64:0] infer_seq(input logic [31:0] lo, input logic [63:0] top,
                                            input logic [15:0] w, input logic esn);
    logic [31:0] tl, th, bottom, hi;
    logic ok;
    tl = top[31:0];
    th = top[63:32];
    bottom = tl - 32'(w) + 32'd1;
    ok = 1'b1;
    if (!esn) hi = 32'd0;
    else if (tl >= 32'(w) - 32'd1) begin
      hi = lo >= bottom ? th : th + 32'd1;
      ok = lo >= bottom || th != 32'hffff_ffff;
    end else if (lo >= bottom) begin
      hi = th - 32'd1;
      ok = th != 32'd0;
    end else hi = th;
    return {ok, hi, lo};
  endfunction

  function automatic logic is_replay(input logic [63:0] sn, input logic [63:0] top,
                                     input logic [15:0] w, input logic [WIN-1:0] bits);
    if (sn > top) return 1'b0;
    if (top - sn >= 64'(w)) return 1'b1;
    return bits[WIN_W'(sn)];
  endfunction

  // ---- head -----------------------------------------------------------------------------------
  typedef enum logic [2:0] {
    I_IDLE,
    I_B1,
    I_PARSE,
    I_ISSUE,
    I_AAD,
    I_PAY,
    I_ICV,
    I_DRAIN
  } head_e;
  head_e hs;
  logic [127:0] b0_q, b1_q, prev_q;
  logic [15:0] len_q;
  logic ended;

  wire [127:0] b2 = ended ? 128'd0 : s_data;
  wire [383:0] hb = {b0_q, b1_q, b2};
  function automatic logic [7:0] hbyte(input logic [383:0] h, input int i);
    return h[383-8*i-:8];
  endfunction
  function automatic logic [15:0] h16(input logic [383:0] h, input int i);
    return {hbyte(h, i), hbyte(h, i + 1)};
  endfunction
  function automatic logic [31:0] h32(input logic [383:0] h, input int i);
    return {h16(h, i), h16(h, i + 2)};
  endfunction

  logic [31:0] csum;
  always_comb begin
    csum = '0;
    for (int i = 0; i < 10; i++) csum += 32'(h16(hb, 2 * i));
    csum = (csum & 32'hffff) + (csum >> 16);
    csum = (csum & 32'hffff) + (csum >> 16);
  end

  wire [7:0] ver_ihl = hbyte(hb, 0);
  wire [15:0] total = h16(hb, 2);
  wire is_udp = hbyte(hb, 9) == 8'd17;
  wire [15:0] udp_len = h16(hb, 24);
  wire [15:0] esp_end = is_udp ? 16'd20 + udp_len : total;
  wire [15:0] esp_off = is_udp ? 16'd28 : 16'd20;
  wire [15:0] esp_len = esp_end - esp_off;
  wire [31:0] spi = is_udp ? h32(hb, 28) : h32(hb, 20);
  wire [31:0] sn_lo = is_udp ? h32(hb, 32) : h32(hb, 24);
  wire [63:0] iv = is_udp ? {h32(hb, 36), h32(hb, 40)} : {h32(hb, 28), h32(hb, 32)};
  wire [31:0] slot32 = spi - spi_base;
  wire slot_in_range = spi >= spi_base && slot32 < 32'(NUM_SA);
  // The table read is registered. The SPI lies in beat 1 (octets 20..23, or 28..31 behind the
  // UDP header), so the table is addressed with it while that beat is on the input and the
  // SA's words are there in I_PARSE, when beat 2 arrives.
  wire [127:0] b1_now = hs == I_B1 ? s_data : b1_q;
  wire [31:0] spi_now = is_udp ? b1_now[31:0] : b1_now[95:64];
  /* verilator lint_off UNUSEDSIGNAL */
  wire unused_b1_now = ^{b1_now[127:96], b1_now[63:32]};  // the rest of beat 1 is not the SPI
  /* verilator lint_on UNUSEDSIGNAL */
  assign a_slot = SA_W'(spi_now - spi_base);
  wire [15:0] min_esp = 16'd20 + 16'(a_cfg.icv_len);
  wire [15:0] ct_len = esp_len - 16'd16 - 16'(a_cfg.icv_len);
  wire [64:0] inferred = infer_seq(sn_lo, a_dyn.seq, a_cfg.window, a_cfg.esn);

  logic [3:0] code;
  logic sa_found;
  always_comb begin
    sa_found = 1'b0;
    if (ver_ihl[7:4] == 4'd6 || (ver_ihl > 8'h45 && ver_ihl[7:4] == 4'd4))
      code = 4'(PKT_STATUS_UNSUPPORTED);  // outer IPv6, IPv4 options
    else if (ver_ihl != 8'h45 || len_q < 16'd20 || total < 16'd20 || total > len_q ||
             csum[15:0] != 16'hffff)
      code = 4'(PKT_STATUS_MALFORMED);
    else if ((h16(hb, 6) & 16'h3fff) != 16'd0) code = 4'(PKT_STATUS_UNSUPPORTED);  // fragment
    else if (is_udp && (total < 16'd28 || udp_len < 16'd8 || udp_len > total - 16'd20))
      code = 4'(PKT_STATUS_MALFORMED);
    else if (is_udp && esp_end - 16'd28 == 16'd1 && hbyte(hb, 28) == 8'hff)
      code = 4'(PKT_STATUS_NOT_ESP);  // NAT keepalive
    else if (is_udp && esp_end - 16'd28 >= 16'd4 && h32(hb, 28) == 32'd0)
      code = 4'(PKT_STATUS_NOT_ESP);  // IKE (non-ESP marker)
    else if (!is_udp && hbyte(hb, 9) != 8'd50) code = 4'(PKT_STATUS_NOT_ESP);
    else if (esp_len < 16'd16) code = 4'(PKT_STATUS_MALFORMED);
    else if (!slot_in_range || !a_cfg.active || a_cfg.spi != spi || a_cfg.udp != is_udp)
      code = 4'(PKT_STATUS_NO_SA);
    else begin
      sa_found = 1'b1;
      if (hard_expired(a_cfg, a_dyn)) code = 4'(PKT_STATUS_EXPIRED);
      else if (esp_len < min_esp || ct_len[1:0] != 2'd0) code = 4'(PKT_STATUS_MALFORMED);
      else if (!inferred[64] || is_replay(inferred[63:0], a_dyn.seq, a_cfg.window, a_bitmap))
        code = 4'(PKT_STATUS_REPLAY);
      else code = 4'(PKT_STATUS_OK);
    end
  end

  // per-packet record handed from head to tail, in order
  typedef struct packed {
    logic        gcm;     // went through gcm_core (data and a tag follow on dout)
    logic        has_sa;
    logic [3:0]  code;    // head verdict (gcm = 0)
    logic [15:0] slot;
    logic [63:0] seq;
    logic [15:0] ct_len;
    logic [4:0]  icv_len;
    logic        transport;  // rebuild the outer IP header in front of the payload
    logic [159:0] ip_hdr;    // the outer IPv4 header (transport)
  } meta_t;
  localparam int MQ = 8;
  meta_t meta_q[MQ];
  logic [$clog2(MQ):0] meta_wr, meta_rd;
  logic [127:0] icv_fifo[MQ];
  logic [$clog2(MQ):0] icv_wr, icv_rd;
  wire meta_space = (meta_wr - meta_rd) < ($clog2(MQ) + 1)'(MQ);

  logic [3:0] code_q;
  logic sa_found_q;
  logic [15:0] slot_q;
  logic [63:0] seq_q;
  logic [31:0] spi_q;
  logic is_udp_q;
  logic transport_q;
  logic [11:0] pay_blk, text_blocks, pay_blocks;
  logic [127:0] icv_acc;

  wire issue_ok = code_q == 4'(PKT_STATUS_OK);
  assign desc_valid = hs == I_ISSUE && issue_ok && meta_space;
  wire issue_fire = hs == I_ISSUE && meta_space && (!issue_ok || desc_ready);

  // payload block k = octets [off + 16k, off + 16k + 16) of the ESP payload: two beats joined
  wire [127:0] cur = ended ? 128'd0 : s_data;
  wire [127:0] pay_block = is_udp_q ? {prev_q[31:0], cur[127:32]} : {prev_q[95:0], cur[127:96]};
  wire have_cur = ended || s_valid;
  wire is_text = pay_blk < text_blocks;
  wire [127:0] aad_block = esn_q ? {spi_q, seq_q, 32'd0} : {spi_q, seq_q[31:0], 64'd0};
  assign din_valid = hs == I_AAD || (hs == I_PAY && is_text && have_cur);
  assign din_data = hs == I_AAD ? aad_block : pay_block;
  wire pay_fire = hs == I_PAY && have_cur && (!is_text || din_ready);

  assign s_ready = hs == I_IDLE && enable || hs == I_B1 ||
                   hs == I_ISSUE && issue_ok && meta_space && desc_ready ||
                   hs == I_PAY && !ended && pay_fire || hs == I_DRAIN;
  wire s_fire = s_valid && s_ready;

  // ICV octets: payload octet p >= ct_len goes to ICV octet p - ct_len
  logic [127:0] icv_next;
  always_comb begin
    icv_next = icv_acc;
    for (int j = 0; j < 16; j++) begin
      logic [16:0] p;
      logic [16:0] m;
      p = 17'({pay_blk, 4'd0}) + 17'(j);
      m = p - 17'(ct_len_q);
      if (p >= 17'(ct_len_q) && m < 17'(icv_len_q)) icv_next[127-8*m[3:0]-:8] = pay_block[127-8*j-:8];
    end
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      hs <= I_IDLE;
      meta_wr <= '0;
      icv_wr <= '0;
    end else begin
      unique case (hs)
        I_IDLE: if (s_fire) hs <= s_last ? I_PARSE : I_B1;
        I_B1: if (s_fire) hs <= I_PARSE;
        I_PARSE: if (ended || s_valid) hs <= I_ISSUE;
        I_ISSUE:
        if (issue_fire) begin
          meta_q[meta_wr[$clog2(MQ)-1:0]] <= '{gcm: issue_ok, has_sa: sa_found_q, code: code_q,
                                               slot: slot_q, seq: seq_q, ct_len: ct_len_q,
                                               icv_len: icv_len_q, transport: transport_q,
                                               ip_hdr: {b0_q, b1_q[127:96]}};
          meta_wr <= meta_wr + 1'b1;
          hs <= issue_ok ? I_AAD : (ended ? I_IDLE : I_DRAIN);
        end
        I_AAD: if (din_valid && din_ready) hs <= I_PAY;
        I_PAY: if (pay_fire && pay_blk == pay_blocks - 12'd1) hs <= I_ICV;
        I_ICV: begin
          icv_fifo[icv_wr[$clog2(MQ)-1:0]] <= icv_acc;
          icv_wr <= icv_wr + 1'b1;
          hs <= ended ? I_IDLE : I_DRAIN;
        end
        default: if (s_fire && s_last) hs <= I_IDLE;  // I_DRAIN
      endcase
    end
  end

  always_ff @(posedge clk) begin
    if (hs == I_IDLE && s_fire) begin
      b0_q <= s_data;
      len_q <= s_len;
      ended <= s_last;
    end
    if (hs == I_B1 && s_fire) begin
      b1_q  <= s_data;
      ended <= s_last;
    end
    if (hs == I_PARSE && (ended || s_valid)) begin
      code_q <= code;
      sa_found_q <= sa_found;
      slot_q <= 16'(a_slot);
      seq_q <= inferred[63:0];
      spi_q <= spi;
      is_udp_q <= is_udp;
      transport_q <= a_cfg.transport;
      nonce_q <= {a_cfg.salt, iv};
      ct_len_q <= ct_len;
      icv_len_q <= a_cfg.icv_len;
      esn_q <= a_cfg.esn;
      text_blocks <= 12'((17'(ct_len) + 17'd15) >> 4);
      pay_blocks <= 12'((17'(ct_len) + 17'(a_cfg.icv_len) + 17'd15) >> 4);
      pay_blk <= '0;
      icv_acc <= '0;
    end
    if (hs == I_ISSUE && s_fire) begin
      prev_q <= s_data;
      ended  <= s_last;
    end
    if (pay_fire) begin
      icv_acc <= icv_next;
      pay_blk <= pay_blk + 12'd1;
      if (!ended) begin
        prev_q <= s_data;
        ended  <= s_last;
      end
    end
  end

  // ---- tail -----------------------------------------------------------------------------------
  typedef enum logic [2:0] {
    T_IDLE,
    T_DATA,
    T_VERDICT,
    T_EVENTS,
    T_COMMIT
  } tail_e;
  tail_e ts;
  meta_t mh;
  assign mh = meta_q[meta_rd[$clog2(MQ)-1:0]];
  wire meta_valid = meta_wr != meta_rd;
  wire icv_valid = icv_wr != icv_rd;
  assign b_slot = SA_W'(mh.slot);

  // packet buffer: written tentatively, committed or rolled back at the verdict
  logic [127:0] pb_mem[PB_DEPTH];
  logic [PB_W-1:0] wr_ptr, pkt_start, free_ptr, rd_ptr;
  wire pb_space = PB_W'(wr_ptr + 1'b1) != free_ptr;

  // trailer tracker: last three plaintext octets; `run` = octet ends a 1, 2, 3, ... run
  logic [7:0] t1, t2, t3;
  logic r1, r2, r3;
  logic [15:0] blk_pos;  // plaintext octets seen
  logic [3:0] ihl_q, ver_q;
  logic [15:0] in_total_q, in_plen_q;
  logic [31:0] in_sum_q;
  logic tag_ok_q;
  logic [3:0] final_code;
  logic [15:0] buf_len_q;
  logic [159:0] t_hdr_q;
  ev_bits_t ev_q;
  sa_dyn_t dyn_q;

  logic [7:0] n1, n2, n3;
  logic nr1, nr2, nr3;
  logic [31:0] sum_next;
  logic [3:0] ihl_now;
  always_comb begin
    {n1, n2, n3, nr1, nr2, nr3} = {t1, t2, t3, r1, r2, r3};
    sum_next = in_sum_q;
    ihl_now = blk_pos == 0 ? dout_data[123:120] : ihl_q;
    for (int j = 0; j < 16; j++) begin
      logic [7:0] c;
      logic run;
      c = dout_data[127-8*j-:8];
      run = 1'b0;
      if (5'(j) < dout_nbytes) begin
        run = c == 8'd1 || (nr1 && {1'b0, c} == {1'b0, n1} + 9'd1);
        {n3, n2, n1} = {n2, n1, c};
        {nr3, nr2, nr1} = {nr2, nr1, run};
      end
    end
    for (int w = 0; w < 8; w++)
      if (blk_pos + 16'(2 * w) < {10'd0, ihl_now, 2'b00}) sum_next += 32'(dout_data[127-16*w-:16]);
  end

  wire text_in = ts == T_DATA && dout_valid && !dout_is_tag;
  wire tag_in = ts == T_DATA && dout_valid && dout_is_tag;
  assign dout_ready = ts == T_DATA && (dout_is_tag ? icv_valid : pb_space);
  wire [127:0] icv_head = icv_fifo[icv_rd[$clog2(MQ)-1:0]];

  // verdict inputs
  wire [7:0] pad = t2, nh = t1;
  wire [15:0] payload_len = mh.ct_len - 16'd2 - 16'(pad);
  wire [31:0] sum_fold1 = (in_sum_q & 32'hffff) + (in_sum_q >> 16);
  wire [15:0] sum_fold = 16'((sum_fold1 & 32'hffff) + (sum_fold1 >> 16));
  wire [15:0] v4_hdr = {10'd0, ihl_q, 2'b00};
  wire [16:0] v6_total = 17'd40 + 17'(in_plen_q);
  logic [3:0] trailer_code;
  always_comb begin
    if (17'(pad) + 17'd2 > 17'(mh.ct_len) || (pad != 0 && !(r3 && t3 == pad)))
      trailer_code = 4'(PKT_STATUS_TRAILER);
    else if (nh == 8'd59) trailer_code = 4'(PKT_STATUS_DUMMY);
    else if (mh.transport) trailer_code = 4'(PKT_STATUS_OK);  // any upper protocol
    else if (nh != 8'd4 && nh != 8'd41) trailer_code = 4'(PKT_STATUS_TRAILER);
    else if (ver_q == 4'd4 && (payload_len < 16'd20 || v4_hdr < 16'd20 ||
                               in_total_q < v4_hdr || in_total_q > payload_len ||
                               sum_fold != 16'hffff || nh != 8'd4))
      trailer_code = 4'(PKT_STATUS_MALFORMED);
    else if (ver_q == 4'd6 && (payload_len < 16'd40 || v6_total > 17'(payload_len) || nh != 8'd41))
      trailer_code = 4'(PKT_STATUS_MALFORMED);
    else if (ver_q != 4'd4 && ver_q != 4'd6) trailer_code = 4'(PKT_STATUS_MALFORMED);
    else trailer_code = 4'(PKT_STATUS_OK);
  end
  // transport: the outer IPv4 header (20 octets; options are refused at the head) rebuilt with
  // protocol = next header, total length and checksum, in front of the payload
  wire [15:0] out_len = mh.transport ? 16'd20 + payload_len :
                        ver_q == 4'd4 ? in_total_q : v6_total[15:0];
  logic [159:0] t_hdr;
  always_comb begin
    t_hdr = mh.ip_hdr;
    t_hdr[159-16-:16] = out_len;
    t_hdr[159-72-:8] = nh;
    t_hdr[159-80-:16] = 16'h0000;
    t_hdr[159-80-:16] = ~ones_sum64({t_hdr, 352'd0});
  end

  // window update and counters (tail write port)
  wire replay_now = is_replay(mh.seq, b_dyn.seq, b_cfg.window, b_bitmap);
  wire [63:0] shift = mh.seq - b_dyn.seq;
  logic [WIN-1:0] slid;
  always_comb begin
    slid = b_bitmap;
    if (mh.seq > b_dyn.seq) begin
      // bit i holds SN i (mod WIN): clear those for SNs top+1 .. seq, which become new
      for (int i = 0; i < WIN; i++)
        if (shift >= 64'(WIN) || 64'(WIN_W'(WIN_W'(i) - WIN_W'(b_dyn.seq + 64'd1))) < shift)
          slid[i] = 1'b0;
    end
    slid[WIN_W'(mh.seq)] = 1'b1;
  end

  logic [3:0] verdict;
  ev_bits_t ev_now;
  always_comb begin
    dyn_next = b_dyn;
    bitmap_next = b_bitmap;
    ev_now = '0;
    verdict = mh.code;
    if (mh.gcm) begin
      if (replay_now) verdict = 4'(PKT_STATUS_REPLAY);
      else if (!tag_ok_q) verdict = 4'(PKT_STATUS_AUTH);
      else begin
        verdict = trailer_code;
        bitmap_next = slid;
        dyn_next.seen = b_dyn.seen + 32'd1;
        if (mh.seq > b_dyn.seq) begin
          dyn_next.seq = mh.seq;
          ev_now[EVENT_TYPE_ESN_WRAP] = mh.seq[63:32] != b_dyn.seq[63:32];
        end
        if (trailer_code == 4'(PKT_STATUS_OK)) begin
          dyn_next.packets = b_dyn.packets + 64'd1;
          dyn_next.bytes = b_dyn.bytes + 64'(out_len);
          ev_now = ev_now | limit_events(b_cfg, dyn_next);
          dyn_next.fired = b_dyn.fired | fired_bits(ev_now);
        end
      end
    end
    if (verdict == 4'(PKT_STATUS_REPLAY)) dyn_next.replay_drops = b_dyn.replay_drops + 32'd1;
    if (verdict == 4'(PKT_STATUS_AUTH)) dyn_next.auth_fails = b_dyn.auth_fails + 32'd1;
  end
  assign dp_we = ts == T_VERDICT && mh.has_sa;

  // commit queue towards the reader
  typedef struct packed {
    logic            has_data;
    logic [PB_W-1:0] start;
    logic [PB_W-1:0] stop;
    logic [15:0]     len;  // octets in the buffer to emit
    logic [3:0]      code;
    logic [15:0]     slot;
    logic            transport;  // ip_hdr goes out first
    logic [159:0]    ip_hdr;
  } commit_t;
  commit_t cq[MQ];
  logic [$clog2(MQ):0] cq_wr, cq_rd;
  wire cq_space = (cq_wr - cq_rd) < ($clog2(MQ) + 1)'(MQ);

  always_ff @(posedge clk) begin
    if (rst) begin
      ts <= T_IDLE;
      meta_rd <= '0;
      icv_rd <= '0;
      cq_wr <= '0;
      wr_ptr <= '0;
    end else begin
      unique case (ts)
        T_IDLE: if (meta_valid) ts <= mh.gcm ? T_DATA : T_VERDICT;
        T_DATA:
        if (tag_in && icv_valid) begin
          icv_rd <= icv_rd + 1'b1;
          ts <= T_VERDICT;
        end else if (text_in && pb_space) begin
          wr_ptr <= wr_ptr + 1'b1;
        end
        T_VERDICT: ts <= T_EVENTS;
        T_EVENTS: if (ev_q == '0) ts <= T_COMMIT;
        default:  // T_COMMIT
        if (cq_space) begin
          cq[cq_wr[$clog2(MQ)-1:0]] <= '{has_data: final_code == 4'(PKT_STATUS_OK),
                                          start: pkt_start, stop: wr_ptr, len: buf_len_q,
                                          code: final_code, slot: mh.slot,
                                          transport: mh.transport, ip_hdr: t_hdr_q};
          cq_wr <= cq_wr + 1'b1;
          if (final_code != 4'(PKT_STATUS_OK)) wr_ptr <= pkt_start;  // roll back
          meta_rd <= meta_rd + 1'b1;
          ts <= T_IDLE;
        end
      endcase
    end
  end

  always_ff @(posedge clk) begin
    if (ts == T_IDLE) begin
      pkt_start <= wr_ptr;
      {t1, t2, t3, r1, r2, r3} <= '0;
      blk_pos <= '0;
      in_sum_q <= '0;
    end
    if (text_in && pb_space) begin
      pb_mem[wr_ptr] <= dout_data;
      {t1, t2, t3, r1, r2, r3} <= {n1, n2, n3, nr1, nr2, nr3};
      in_sum_q <= sum_next;
      blk_pos <= blk_pos + 16'd16;
      if (blk_pos == 0) begin
        ver_q <= dout_data[127:124];
        ihl_q <= dout_data[123:120];
        in_total_q <= dout_data[111:96];
        in_plen_q <= dout_data[95:80];
      end
    end
    if (tag_in && icv_valid) tag_ok_q <= dout_data == icv_head;
    if (ts == T_VERDICT) begin
      final_code <= verdict;
      buf_len_q <= mh.transport ? payload_len : out_len;
      t_hdr_q <= t_hdr;
      ev_q <= ev_now;
      dyn_q <= dyn_next;
    end
    if (ts == T_EVENTS && ev_valid && ev_ready) ev_q[3'(ev_type)] <= 1'b0;
  end

  assign ev_valid = ts == T_EVENTS && ev_q != '0;
  assign ev_type = first_event(ev_q);
  assign ev_sa = mh.slot;
  assign ev_value = event_value(ev_type, dyn_q);

  // ---- reader ---------------------------------------------------------------------------------
  // Tunnel packets and drop statuses are read straight from the buffer. A transport packet's
  // rebuilt 20-octet IP header goes out first, which puts every buffered octet 4 octets later in
  // its beat: the buffer beats then pass through the same gearbox egress uses for its headers.
  commit_t ch;
  assign ch = cq[cq_rd[$clog2(MQ)-1:0]];
  wire cq_valid = cq_wr != cq_rd;
  wire via_gearbox = ch.has_data && ch.transport;
  logic reading;
  logic [15:0] left;
  wire [15:0] now_left = reading ? left : ch.len;
  wire [127:0] buf_beat = pb_mem[reading ? rd_ptr : ch.start];
  wire [4:0] buf_nbytes = now_left >= 16'd16 ? 5'd16 : now_left[4:0];
  wire buf_last = now_left <= 16'd16;

  logic gb_hdr_sent, gb_body_done;  // this transport packet's header / last octets handed over
  logic gb_hdr_pop, gb_body_ready, gb_m_valid, gb_m_last;
  logic [127:0] gb_m_data;
  logic [4:0] gb_m_nbytes;
  esp_tx_packer #(
      .HDR_MAX(32)
  ) u_rx_gearbox (
      .clk, .rst,
      .hdr_valid(cq_valid && via_gearbox && !gb_hdr_sent),
      .hdr_pop(gb_hdr_pop),
      .hdr_data({ch.ip_hdr, 96'd0}),
      .hdr_len(6'd20),
      .body_valid(cq_valid && via_gearbox && gb_hdr_sent && !gb_body_done),
      .body_ready(gb_body_ready),
      .body_data(buf_beat & ~({128{1'b1}} >> (8 * buf_nbytes))),  // trailer octets stay behind
      .body_nbytes(buf_nbytes),
      .body_last(buf_last),
      .m_valid(gb_m_valid),
      .m_ready,
      .m_data(gb_m_data),
      .m_nbytes(gb_m_nbytes),
      .m_last(gb_m_last)
  );
  wire gb_body_fire = cq_valid && via_gearbox && gb_hdr_sent && !gb_body_done && gb_body_ready;

  assign m_valid = via_gearbox ? gb_m_valid : cq_valid;
  assign m_data = via_gearbox ? gb_m_data : ch.has_data ? buf_beat : 128'd0;
  assign m_nbytes = via_gearbox ? gb_m_nbytes : !ch.has_data ? 5'd0 : buf_nbytes;
  assign m_last = via_gearbox ? gb_m_last : !ch.has_data || buf_last;
  assign m_code = ch.code;
  assign m_sa = ch.slot;
  // the direct path steps the buffer per output beat, the gearbox per body chunk it takes
  wire buf_step = via_gearbox ? gb_body_fire : m_valid && m_ready && ch.has_data;

  always_ff @(posedge clk) begin
    if (rst) begin
      cq_rd <= '0;
      reading <= 1'b0;
      free_ptr <= '0;
      gb_hdr_sent <= 1'b0;
      gb_body_done <= 1'b0;
    end else begin
      if (gb_hdr_pop) gb_hdr_sent <= 1'b1;
      if (buf_step) begin
        if (buf_last) begin
          reading <= 1'b0;
          gb_body_done <= via_gearbox;
        end else begin
          reading <= 1'b1;
          rd_ptr <= (reading ? rd_ptr : ch.start) + 1'b1;
          left <= now_left - 16'd16;
        end
      end
      if (m_valid && m_ready && m_last) begin
        cq_rd <= cq_rd + 1'b1;
        if (ch.has_data) free_ptr <= ch.stop;
        gb_hdr_sent <= 1'b0;
        gb_body_done <= 1'b0;
      end
    end
  end

  /* verilator lint_off UNUSEDSIGNAL */
  wire unused_realign = ^{prev_q[127:96], cur[31:0]};  // each form uses part of the beats
  wire unused = ^{dout_last, a_dyn, dyn_q.replay_drops, b_cfg.salt, mh.icv_len, ev_sa};
  /* verilator lint_on UNUSEDSIGNAL */
endmodule
