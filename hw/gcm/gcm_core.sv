// AES-GCM (96-bit IV) encryption and decryption for a stream of packets, one 128-bit block per
// clock, on the key-agile aes_core (CTR keystream) and ghash_acc. Consecutive packets may use
// different SAs and key sizes with no idle clock between them.
//
// Per packet the caller gives a descriptor (SA, nonce = salt || IV, AAD and text lengths in
// bytes, ICV length 8/12/16, direction), then the AAD blocks and the text blocks on din (each
// section zero-padded to whole blocks, byte 0 in bits 127:120). The core derives J0 = nonce ||
// 0x00000001, the counter blocks and the lengths block itself. Every packet therefore occupies
// 1 + ceil(aad/16) + ceil(text/16) + 1 issue slots: J0 (for the tag mask E_K(J0)), AAD, text,
// lengths. dout carries the text blocks (ciphertext when encrypting, plaintext when decrypting;
// dout_nbytes valid bytes each) and then the tag truncated to the ICV length (dout_is_tag,
// dout_last). Decryption returns the computed tag; the ESP ingress compares it with the ICV.
//
// How it stays in order without a separate delay line: every slot, including AAD and lengths
// blocks that need no AES, travels through the AES pipeline with its data in the pipeline's
// sideband tag, so a block meets its keystream at the pipeline output by construction.
//
//   issue ---> aes_core (15 clocks) ---> stage A ---> dout register
//                 |                        | GHASH (ghash_acc, 1 clock)
//                 '-- H RAM read by out_sa '-- tag = GHASH ^ E_K(J0) one clock after lengths
// Latency: a text block leaves dout 17 clocks after it is taken on din; the tag leaves 18
// clocks after the packet's last din block (17 after the lengths slot for an empty packet).
//
// SA install (inst_*): expands the key into the AES round-key RAMs, then sends 0^128 through
// the pipeline (taking one issue slot ahead of packet traffic) and writes H = E_K(0^128) into
// the per-SA H RAM; inst_done pulses once H is stored. zeroize writes zero round keys and a
// zero H. Packets for other SAs keep flowing during an install; packets for the SA being
// installed must not be in flight (install before steering, drain before delete).
//
// Flow control: one global stall like aes_enc_pipe: everything after the issue point advances
// when dout is taken or empty, so desc_ready/din_ready are combinational from dout_ready.
//
// Key probe (dbg_*): reads round key 0 (AES key memory) and H (H memory) of dbg_sa back for the
// SA mailbox, each in a clock where its memory's read port is free (no beat entering the AES
// pipeline / leaving it), so traffic is not disturbed. Hold dbg_req until dbg_done pulses.
//
// Multi-lane: the datapath here is one lane. A LANES-wide version keeps this structure with an
// aes_core of LANES lanes (one SA per beat), ghash_acc of LANES lanes, and an H RAM row of
// H..H^LANES that ghash_hpow computes right after H at install; the issue logic then hands out
// LANES counters per beat and the output carries a per-beat byte count.
module gcm_core #(
    parameter int NUM_SA = 16,
    parameter int LEN_W = 16,  // byte-length width of AAD and text (64 KiB - 1 max)
    localparam int SA_W = (NUM_SA > 1) ? $clog2(NUM_SA) : 1
) (
    input logic clk,
    input logic rst,

    // SA install
    input  logic            inst_valid,
    output logic            inst_ready,
    input  logic [SA_W-1:0] inst_sa,
    input  logic [   255:0] inst_key,      // AES-128 key in bits 255:128
    input  logic            inst_is256,
    input  logic            inst_zeroize,
    output logic            inst_done,

    // packet descriptor
    input  logic             desc_valid,
    output logic             desc_ready,
    input  logic [ SA_W-1:0] desc_sa,
    input  logic [     95:0] desc_nonce,     // salt (4) || IV (8)
    input  logic [LEN_W-1:0] desc_aad_len,
    input  logic [LEN_W-1:0] desc_text_len,
    input  logic [      4:0] desc_icv_len,   // 8, 12 or 16 bytes
    input  logic             desc_decrypt,

    // AAD blocks, then text blocks
    input  logic         din_valid,
    output logic         din_ready,
    input  logic [127:0] din_data,

    // text blocks, then the tag
    output logic         dout_valid,
    input  logic         dout_ready,
    output logic [127:0] dout_data,
    output logic [  4:0] dout_nbytes,
    output logic         dout_is_tag,
    output logic         dout_last,

    // key probe
    input  logic            dbg_req,
    input  logic [SA_W-1:0] dbg_sa,
    output logic            dbg_done,
    output logic [   127:0] dbg_rk0,
    output logic [   127:0] dbg_h
);
  // ---- slot kinds and the sideband that rides through the AES pipeline --------------------------
  localparam logic [2:0] K_J0 = 3'd1;  // keystream = E_K(J0), the tag mask
  localparam logic [2:0] K_AAD = 3'd2;  // data = AAD block; keystream unused
  localparam logic [2:0] K_TEXT = 3'd3;  // data = text block; keystream = E_K(counter)
  localparam logic [2:0] K_LEN = 3'd4;  // data = len(A) || len(C) in bits; nbytes = ICV length
  localparam logic [2:0] K_HCALC = 3'd5;  // keystream = H for the SA being installed

  typedef struct packed {
    logic [2:0]   kind;
    logic         first;   // first GHASH block of its packet
    logic         decrypt;
    logic [4:0]   nbytes;
    logic [127:0] data;
  } slot_t;
  localparam int SLOT_W = $bits(slot_t);

  typedef enum logic [1:0] {
    P_IDLE,
    P_AAD,
    P_TEXT,
    P_LEN
  } pkt_state_e;

  typedef enum logic [2:0] {
    I_IDLE,
    I_KEYS,
    I_HREQ,
    I_HWAIT,
    I_ZERO
  } inst_state_e;

  // ---- AES core -------------------------------------------------------------------------------
  logic aes_inst_ready, aes_inst_done;
  logic aes_in_valid, aes_in_ready;
  logic [SA_W-1:0] aes_in_sa;
  slot_t aes_in_slot;
  logic [127:0] aes_in_block;
  logic aes_out_valid;
  logic [SA_W-1:0] aes_out_sa;
  logic [SLOT_W-1:0] aes_out_tag;
  logic [127:0] aes_out_block;
  logic en;

  logic dbg_rk_got, dbg_h_got, dbg_rk0_valid;
  logic [127:0] dbg_rk0_word;
  inst_state_e istate;
  logic [SA_W-1:0] inst_sa_q;
  logic inst_zeroize_q;

  aes_core #(
      .LANES (1),
      .NUM_SA(NUM_SA),
      .TAG_W (SLOT_W)
  ) u_aes (
      .clk         (clk),
      .rst         (rst),
      .inst_valid  (inst_valid && istate == I_IDLE),
      .inst_ready  (aes_inst_ready),
      .inst_sa     (inst_sa),
      .inst_key    (inst_key),
      .inst_is256  (inst_is256),
      .inst_zeroize(inst_zeroize),
      .inst_done   (aes_inst_done),
      .in_valid    (aes_in_valid),
      .in_ready    (aes_in_ready),
      .in_sa       (aes_in_sa),
      .in_tag      (aes_in_slot),
      .in_block    (aes_in_block),
      .out_valid   (aes_out_valid),
      .out_ready   (en),
      .out_sa      (aes_out_sa),
      .out_tag     (aes_out_tag),
      .out_block   (aes_out_block),
      .dbg_re      (dbg_req && !dbg_rk_got),
      .dbg_sa      (dbg_sa),
      .dbg_rk0     (dbg_rk0_word),
      .dbg_rk0_valid(dbg_rk0_valid)
  );

  // ---- issue: one slot per clock, install's H block first, then the packet sequencer ----------
  pkt_state_e pstate;
  logic [SA_W-1:0] pkt_sa;
  logic [95:0] pkt_nonce;
  logic [31:0] pkt_ctr;
  logic [LEN_W-1:0] aad_left, text_left, aad_len_q, text_len_q;
  logic [4:0] icv_q;
  logic decrypt_q, first_q;
  logic hcalc_issue, pkt_slot, pkt_fire;

  logic [63:0] aad_bits, text_bits;  // len(A), len(C) in bits for the lengths block
  assign aad_bits = 64'(aad_len_q) << 3;
  assign text_bits = 64'(text_len_q) << 3;

  function automatic logic [4:0] block_bytes(input logic [LEN_W-1:0] left);
    return (left >= LEN_W'(16)) ? 5'd16 : 5'(left);
  endfunction

  assign hcalc_issue = istate == I_HREQ;
  assign pkt_slot = aes_in_ready && !hcalc_issue;
  assign desc_ready = pstate == P_IDLE && pkt_slot;
  assign din_ready = (pstate == P_AAD || pstate == P_TEXT) && pkt_slot;
  assign pkt_fire = aes_in_valid && pkt_slot;

  always_comb begin
    aes_in_valid = 1'b0;
    aes_in_sa = pkt_sa;
    aes_in_block = {pkt_nonce, pkt_ctr};
    aes_in_slot = '{kind: K_AAD, first: first_q, decrypt: decrypt_q, nbytes: 5'd0, data: din_data};
    if (hcalc_issue) begin
      aes_in_valid = 1'b1;
      aes_in_sa = inst_sa_q;
      aes_in_block = '0;
      aes_in_slot.kind = K_HCALC;
    end else begin
      unique case (pstate)
        P_IDLE: begin
          aes_in_valid = desc_valid;
          aes_in_sa = desc_sa;
          aes_in_block = {desc_nonce, 32'd1};
          aes_in_slot.kind = K_J0;
        end
        P_AAD: begin
          aes_in_valid = din_valid;
          aes_in_slot.nbytes = block_bytes(aad_left);
        end
        P_TEXT: begin
          aes_in_valid = din_valid;
          aes_in_slot.kind = K_TEXT;
          aes_in_slot.nbytes = block_bytes(text_left);
        end
        default: begin  // P_LEN
          aes_in_valid = 1'b1;
          aes_in_slot.kind = K_LEN;
          aes_in_slot.nbytes = icv_q;
          aes_in_slot.data = {aad_bits, text_bits};
        end
      endcase
    end
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      pstate <= P_IDLE;
    end else if (pkt_fire) begin
      unique case (pstate)
        P_IDLE: begin
          pstate <= (desc_aad_len != 0) ? P_AAD : (desc_text_len != 0) ? P_TEXT : P_LEN;
        end
        P_AAD: begin
          if (aad_left <= LEN_W'(16)) pstate <= (text_left != 0) ? P_TEXT : P_LEN;
        end
        P_TEXT: begin
          if (text_left <= LEN_W'(16)) pstate <= P_LEN;
        end
        default: pstate <= P_IDLE;
      endcase
    end
  end

  always_ff @(posedge clk) begin
    if (pkt_fire) begin
      unique case (pstate)
        P_IDLE: begin
          pkt_sa     <= desc_sa;
          pkt_nonce  <= desc_nonce;
          pkt_ctr    <= 32'd2;  // counter 1 is J0; the first text block uses inc32(J0)
          aad_left   <= desc_aad_len;
          text_left  <= desc_text_len;
          aad_len_q  <= desc_aad_len;
          text_len_q <= desc_text_len;
          icv_q      <= desc_icv_len;
          decrypt_q  <= desc_decrypt;
          first_q    <= 1'b1;
        end
        P_AAD: begin
          aad_left <= aad_left - LEN_W'(block_bytes(aad_left));
          first_q  <= 1'b0;
        end
        P_TEXT: begin
          text_left <= text_left - LEN_W'(block_bytes(text_left));
          pkt_ctr   <= pkt_ctr + 32'd1;  // inc32: wraps within the low 32 bits
          first_q   <= 1'b0;
        end
        default: ;
      endcase
    end
  end

  // ---- stage A: pipeline output meets the packet's H (RAM read issued with out_sa) -------------
  logic a_valid;
  slot_t a_slot;
  logic [127:0] a_keystream;
  logic [127:0] h_word;
  logic [127:0] byte_mask;
  logic [127:0] text_in, text_out, ghash_block;
  logic ghash_valid;
  logic [127:0] ghash_y;
  logic [127:0] ek_j0_q;
  logic a_hcalc, h_we;

  assign en = ~dout_valid | dout_ready;

  always_ff @(posedge clk) begin
    if (rst) a_valid <= 1'b0;
    else if (en) a_valid <= aes_out_valid;
  end

  always_ff @(posedge clk) begin
    if (en) begin
      a_slot      <= slot_t'(aes_out_tag);
      a_keystream <= aes_out_block;
    end
  end

  assign a_hcalc = en && a_valid && a_slot.kind == K_HCALC;
  assign h_we = a_hcalc || istate == I_ZERO;

  sdp_ram #(
      .WIDTH(128),
      .DEPTH(NUM_SA)
  ) u_h_ram (
      .clk  (clk),
      .we   (h_we),
      .waddr(inst_sa_q),
      .wdata(istate == I_ZERO ? 128'b0 : a_keystream),
      .re   (en),
      .raddr(h_probe ? dbg_sa : aes_out_sa),
      .rdata(h_word)
  );

  // ---- key probe: round key 0 and H of dbg_sa, each read when its port is idle ----------------
  logic h_probe, h_probe_q;
  assign h_probe = dbg_req && !dbg_h_got && !aes_out_valid;
  always_ff @(posedge clk) begin
    if (rst || !dbg_req || dbg_done) begin
      dbg_rk_got <= 1'b0;
      dbg_h_got  <= 1'b0;
      h_probe_q  <= 1'b0;
    end else begin
      h_probe_q <= h_probe && en;
      if (dbg_rk0_valid && !dbg_rk_got) begin
        dbg_rk_got <= 1'b1;
        dbg_rk0    <= dbg_rk0_word;
      end
      if (h_probe_q && !dbg_h_got) begin
        dbg_h_got <= 1'b1;
        dbg_h     <= h_word;
      end
    end
  end
  assign dbg_done = dbg_req && dbg_rk_got && dbg_h_got;

  function automatic logic [127:0] prefix_mask(input logic [4:0] nbytes);
    logic [127:0] mask;
    for (int i = 0; i < 16; i++) mask[127-8*i-:8] = (5'(i) < nbytes) ? 8'hff : 8'h00;
    return mask;
  endfunction

  assign byte_mask = prefix_mask(a_slot.nbytes);
  assign text_in = a_slot.data & byte_mask;
  assign text_out = (a_slot.data ^ a_keystream) & byte_mask;

  // GHASH runs over AAD, then the ciphertext (dout when encrypting, din when decrypting), then
  // the lengths block.
  always_comb begin
    unique case (a_slot.kind)
      K_TEXT: ghash_block = a_slot.decrypt ? text_in : text_out;
      K_AAD: ghash_block = text_in;
      default: ghash_block = a_slot.data;  // K_LEN
    endcase
  end
  assign ghash_valid = a_valid &&
      (a_slot.kind == K_AAD || a_slot.kind == K_TEXT || a_slot.kind == K_LEN);

  ghash_acc #(
      .LANES(1)
  ) u_ghash (
      .clk      (clk),
      .en       (en),
      .in_valid (ghash_valid),
      .in_first (a_slot.first),
      .in_cnt   (1'b1),
      .in_blocks(ghash_block),
      .h_powers (h_word),
      .y        (ghash_y)
  );

  always_ff @(posedge clk) begin
    if (en && a_valid && a_slot.kind == K_J0) ek_j0_q <= a_keystream;
  end

  // ---- dout: text blocks from stage A; the tag one clock after the lengths block -------------
  // The slot after a packet's lengths block is a J0, an H block or a bubble, none of which
  // produce output, so the tag never collides with a text block.
  logic tag_pending;
  logic [4:0] tag_len_q;

  always_ff @(posedge clk) begin
    if (rst) begin
      dout_valid  <= 1'b0;
      tag_pending <= 1'b0;
    end else if (en) begin
      dout_valid  <= (a_valid && a_slot.kind == K_TEXT) || tag_pending;
      tag_pending <= a_valid && a_slot.kind == K_LEN;
    end
  end

  always_ff @(posedge clk) begin
    if (en) begin
      if (a_valid && a_slot.kind == K_LEN) tag_len_q <= a_slot.nbytes;
      if (tag_pending) begin
        dout_data   <= (ghash_y ^ ek_j0_q) & prefix_mask(tag_len_q);
        dout_nbytes <= tag_len_q;
        dout_is_tag <= 1'b1;
        dout_last   <= 1'b1;
      end else begin
        dout_data   <= text_out;
        dout_nbytes <= a_slot.nbytes;
        dout_is_tag <= 1'b0;
        dout_last   <= 1'b0;
      end
    end
  end

  // ---- install sequencer ----------------------------------------------------------------------
  assign inst_ready = istate == I_IDLE && aes_inst_ready;

  always_ff @(posedge clk) begin
    if (rst) begin
      istate    <= I_IDLE;
      inst_done <= 1'b0;
    end else begin
      inst_done <= 1'b0;
      unique case (istate)
        I_IDLE: if (inst_valid && aes_inst_ready) istate <= I_KEYS;
        I_KEYS: if (aes_inst_done) istate <= inst_zeroize_q ? I_ZERO : I_HREQ;
        I_HREQ: if (aes_in_ready) istate <= I_HWAIT;
        I_HWAIT: begin
          if (a_hcalc) begin
            istate    <= I_IDLE;
            inst_done <= 1'b1;
          end
        end
        default: begin  // I_ZERO: the zero H is written this clock
          istate    <= I_IDLE;
          inst_done <= 1'b1;
        end
      endcase
    end
  end

  always_ff @(posedge clk) begin
    if (istate == I_IDLE && inst_valid && aes_inst_ready) begin
      inst_sa_q      <= inst_sa;
      inst_zeroize_q <= inst_zeroize;
    end
  end
endmodule
