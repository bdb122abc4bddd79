// Egress output gearbox: joins the per-packet outer header and gcm_core's ciphertext and ICV
// chunks into dense 16-octet beats. The header is 36 or 44 octets in tunnel mode (IPv4 [+ UDP]
// + ESP header + IV) and 36..84 octets in transport mode (the packet's own IPv4 header with
// options, or IPv6, [+ UDP] + ESP header + IV); its length is a multiple of 4 but not of 16, so
// every ciphertext chunk lands 0, 4, 8 or 12 octets into a beat: a 32-octet accumulator absorbs
// the shift. One chunk per clock in, one beat per clock out; a packet whose last chunk
// overflows the current beat takes one extra clock (flush).
// The header goes out as HLEN / 16 full chunks; the clock of the last one also parks the
// header tail (HLEN mod 16 octets) in the accumulator, where the first ciphertext chunk joins it.
module esp_tx_packer #(
    parameter int HDR_MAX = 96,  // octets the header vector holds (a multiple of 16)
    localparam int HDR_BITS = 8 * HDR_MAX,
    localparam int HLEN_W = $clog2(HDR_MAX + 1)
) (
    input logic clk,
    input logic rst,

    // header FIFO head: octet 0 in the top bits, zeros beyond hdr_len (16 <= hdr_len <= HDR_MAX)
    input  logic                hdr_valid,
    output logic                hdr_pop,
    input  logic [HDR_BITS-1:0] hdr_data,
    input  logic [  HLEN_W-1:0] hdr_len,

    // gcm_core output: ciphertext blocks then the ICV (last)
    input  logic         body_valid,
    output logic         body_ready,
    input  logic [127:0] body_data,
    input  logic [  4:0] body_nbytes,
    input  logic         body_last,

    output logic         m_valid,
    input  logic         m_ready,
    output logic [127:0] m_data,
    output logic [  4:0] m_nbytes,
    output logic         m_last
);
  localparam int CHUNK_W = $clog2(HDR_MAX / 16);

  logic in_body;  // header of the current packet sent, its body chunks follow
  logic [CHUNK_W-1:0] hdr_part;  // header chunk being sent (octets 16 * hdr_part ..)
  logic [255:0] acc;
  logic [4:0] fill;  // octets waiting in acc[255 -: 8*fill]
  logic flush_pending;

  logic out_free, can_take;
  assign out_free = !m_valid || m_ready;
  assign can_take = out_free && !flush_pending;

  // header chunk hdr_part and the one after it (the tail parked with the last full chunk)
  wire [HDR_BITS+127:0] hdr_padded = {hdr_data, 128'd0};
  wire [255:0] hdr_win = hdr_padded[HDR_BITS+127-128*hdr_part-:256];
  wire hdr_part_last = HLEN_W'(16 * (32'(hdr_part) + 2)) > hdr_len;

  logic chunk_valid, chunk_last;
  logic [127:0] chunk;
  logic [4:0] chunk_n;
  always_comb begin
    if (in_body) begin
      chunk_valid = body_valid;
      chunk = body_data;
      chunk_n = body_nbytes;
      chunk_last = body_last;
    end else begin
      chunk_valid = hdr_valid;
      chunk_last = 1'b0;
      chunk = hdr_win[255:128];
      chunk_n = 5'd16;
    end
  end

  wire take = chunk_valid && can_take;
  assign body_ready = in_body && can_take;
  assign hdr_pop = !in_body && take && hdr_part_last;

  logic [255:0] joined;
  logic [5:0] total;
  assign joined = acc | ({chunk, 128'd0} >> (8 * fill));
  assign total = 6'(fill) + 6'(chunk_n);

  always_ff @(posedge clk) begin
    if (rst) begin
      in_body <= 1'b0;
      hdr_part <= '0;
      acc <= '0;
      fill <= '0;
      flush_pending <= 1'b0;
      m_valid <= 1'b0;
    end else begin
      if (m_valid && m_ready) m_valid <= 1'b0;
      if (flush_pending && out_free) begin
        m_valid <= 1'b1;
        m_data <= acc[255:128];
        m_nbytes <= fill;
        m_last <= 1'b1;
        acc <= '0;
        fill <= '0;
        flush_pending <= 1'b0;
      end else if (take) begin
        if (!in_body) begin
          hdr_part <= hdr_part_last ? '0 : hdr_part + 1'b1;
          in_body  <= hdr_part_last;
        end else if (chunk_last) begin
          in_body <= 1'b0;
        end
        if (!in_body) begin
          // A header chunk always completes a beat: the accumulator is empty between packets.
          m_valid <= 1'b1;
          m_data <= chunk;
          m_nbytes <= 5'd16;
          m_last <= 1'b0;
          acc <= hdr_part_last ? {hdr_win[127:0], 128'd0} : '0;
          fill <= hdr_part_last ? {1'b0, hdr_len[3:0]} : 5'd0;
        end else if (total >= 6'd16 || chunk_last) begin
          m_valid <= 1'b1;
          m_data <= joined[255:128];
          if (chunk_last && total <= 6'd16) begin
            m_nbytes <= total[4:0];
            m_last <= 1'b1;
            acc <= '0;
            fill <= '0;
          end else begin
            m_nbytes <= 5'd16;
            m_last <= 1'b0;
            acc <= joined << 128;
            fill <= 5'(total - 6'd16);
            flush_pending <= chunk_last;
          end
        end else begin
          acc  <= joined;
          fill <= total[4:0];
        end
      end
    end
  end
endmodule
