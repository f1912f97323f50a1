#include "anonify/mls/tls_codec.h"

#include "anonify/mls/mls_error.h"
#include "mls_test_util.h"

namespace anonify::mls {
namespace {

using nlohmann::json;

TEST(MlsVectors, Deserialization) {
  const json vectors = testing::load_mls_vectors("deserialization.json");
  size_t passed = 0;
  for (const json& v : vectors) {
    const Bytes header = testing::hex(v.at("vlbytes_header"));
    TlsReader reader(header);
    const uint64_t length = reader.varint();
    const bool ok = length == v.at("length").get<uint64_t>() && reader.empty();
    TlsWriter writer;
    writer.varint(length);
    EXPECT_TRUE(ok && writer.bytes() == header) << v.dump();
    passed += (ok && writer.bytes() == header) ? 1 : 0;
  }
  testing::report_passed("deserialization.json", passed, vectors.size());
}

TEST(MlsTlsCodec, RoundTripsIntegersOpaqueVectorsAndOptionals) {
  TlsWriter w;
  w.u8(0xAB);
  w.u16(0x1234);
  w.u32(0xDEADBEEF);
  w.u64(0x0102030405060708ULL);
  w.opaque(Bytes(100, 0x55));
  w.vector([](TlsWriter& inner) {
    inner.u32(7);
    inner.u32(9);
  });
  w.optional(std::optional<uint16_t>(42), [](TlsWriter& out, uint16_t v) { out.u16(v); });
  w.optional(std::optional<uint16_t>(), [](TlsWriter& out, uint16_t v) { out.u16(v); });

  TlsReader r(w.bytes());
  EXPECT_EQ(r.u8(), 0xAB);
  EXPECT_EQ(r.u16(), 0x1234);
  EXPECT_EQ(r.u32(), 0xDEADBEEFU);
  EXPECT_EQ(r.u64(), 0x0102030405060708ULL);
  EXPECT_EQ(r.opaque(), Bytes(100, 0x55));
  const std::vector<uint32_t> items = read_vector<uint32_t>(r, [](TlsReader& in) { return in.u32(); });
  EXPECT_EQ(items, (std::vector<uint32_t>{7, 9}));
  ASSERT_TRUE(r.present());
  EXPECT_EQ(r.u16(), 42);
  EXPECT_FALSE(r.present());
  EXPECT_NO_THROW(r.finish("test"));
}

TEST(MlsTlsCodec, RefusesBadVarintsTruncationAndTrailingBytes) {
  const auto reason_of = [](const Bytes& data, auto&& read) {
    try {
      TlsReader r(data);
      read(r);
      r.finish("test");
    } catch (const MlsError& e) {
      return e.reason();
    }
    return Reason::kInternal;
  };
  const auto varint = [](TlsReader& r) { r.varint(); };
  const auto opaque = [](TlsReader& r) { r.opaque(); };
  EXPECT_EQ(reason_of(Bytes{0xC0}, varint), Reason::kMalformed);              // reserved prefix
  EXPECT_EQ(reason_of(Bytes{0x40, 0x05}, varint), Reason::kMalformed);        // non-minimal 2-byte
  EXPECT_EQ(reason_of(Bytes{0x80, 0x00, 0x00, 0x3F}, varint), Reason::kMalformed);
  EXPECT_EQ(reason_of(Bytes{0x05, 0x01, 0x02}, opaque), Reason::kMalformed);  // truncated body
  EXPECT_EQ(reason_of(Bytes{0x01, 0x01, 0x00}, opaque), Reason::kMalformed);  // trailing byte
  EXPECT_EQ(reason_of(Bytes{0x02}, [](TlsReader& r) { r.present(); }), Reason::kMalformed);
  TlsWriter w;
  EXPECT_THROW(w.varint(kMaxVarint + 1), MlsError);
}

}  // namespace
}  // namespace anonify::mls
