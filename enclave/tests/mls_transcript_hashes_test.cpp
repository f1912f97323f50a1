#include "anonify/mls/framing.h"

#include "anonify/mls/key_schedule.h"
#include "mls_test_util.h"

namespace anonify::mls {
namespace {

using nlohmann::json;
using testing::hex;

TEST(MlsVectors, TranscriptHashes) {
  const json vectors = testing::load_mls_vectors("transcript-hashes.json");
  size_t passed = 0;
  size_t total = 0;
  for (const json& v : vectors) {
    if (!testing::is_suite_one(v)) continue;
    ++total;
    const Bytes encoded = hex(v.at("authenticated_content"));
    const AuthenticatedContent content = tls_decode<AuthenticatedContent>(encoded, "authenticated content");
    const Bytes confirmed =
        confirmed_transcript_hash(hex(v.at("interim_transcript_hash_before")), content.confirmed_transcript_input());
    const Bytes tag = confirmation_tag(hex(v.at("confirmation_key")), confirmed);
    const bool ok = tls_encode(content) == encoded && content.content.content_type() == ContentType::kCommit &&
                    confirmed == hex(v.at("confirmed_transcript_hash_after")) &&
                    tag == content.auth.confirmation_tag &&
                    interim_transcript_hash(confirmed, tag) == hex(v.at("interim_transcript_hash_after"));
    EXPECT_TRUE(ok);
    passed += ok ? 1 : 0;
  }
  testing::report_passed("transcript-hashes.json", passed, total);
}

}  // namespace
}  // namespace anonify::mls
