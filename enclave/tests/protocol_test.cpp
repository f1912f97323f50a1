// Frame decoding, request parsing and dispatch: every malformed input gets a specific error.
#include <unistd.h>

#include "anonify/json_dump.h"
#include "anonify/json_writer.h"
#include "anonify/protocol/dispatcher.h"
#include "anonify/protocol/frame.h"
#include "anonify/protocol/server.h"
#include "enclave_test_util.h"

namespace anonify::protocol {
namespace {

Bytes ascii(const std::string& s) { return Bytes(s.begin(), s.end()); }

std::string error_of_call(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return error_code_name(e.code());
  }
  return "no error";
}

Bytes header(uint32_t length) {
  Bytes h;
  append_u32_be(h, length);
  return h;
}

TEST(FrameDecoder, SplitsFramesFedInPieces) {
  Bytes stream = concat({encode_frame(ascii("hello")), encode_frame(Bytes{}), encode_frame(ascii("xy"))});
  FrameDecoder decoder;
  std::vector<Bytes> frames;
  for (uint8_t b : stream) {
    decoder.feed(ByteView(&b, 1));
    while (auto f = decoder.next()) frames.push_back(*f);
  }
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0], ascii("hello"));
  EXPECT_TRUE(frames[1].empty());
  EXPECT_EQ(frames[2], ascii("xy"));
  EXPECT_NO_THROW(decoder.finish());
}

TEST(FrameDecoder, OversizedLengthIsRejectedBeforeTheBodyArrives) {
  FrameDecoder decoder;
  decoder.feed(header(kMaxFrameSize + 1));
  EXPECT_EQ(error_of_call([&] { decoder.next(); }), "frame_too_large");
  FrameDecoder max;
  max.feed(header(kMaxFrameSize));
  EXPECT_FALSE(max.next().has_value());  // the maximum itself is allowed (body pending)
  EXPECT_EQ(error_of_call([] { encode_frame(Bytes(kMaxFrameSize + 1)); }), "frame_too_large");
}

TEST(FrameDecoder, TruncationIsReportedAtEndOfInput) {
  FrameDecoder partial_header;
  partial_header.feed(Bytes{0, 0});
  EXPECT_FALSE(partial_header.next().has_value());
  EXPECT_EQ(error_of_call([&] { partial_header.finish(); }), "frame_truncated");
  FrameDecoder partial_body;
  partial_body.feed(concat({header(10), ascii("abc")}));
  EXPECT_FALSE(partial_body.next().has_value());
  EXPECT_EQ(error_of_call([&] { partial_body.finish(); }), "frame_truncated");
}

TEST(ParseRequest, AcceptsWellFormedRequests) {
  Request r = parse_request(ascii(R"({"id":7,"method":"status"})"));
  EXPECT_EQ(r.id, 7);
  EXPECT_EQ(r.method, "status");
  EXPECT_TRUE(r.params.is_object());
  Request s = parse_request(ascii(R"( {"method":"init","params":{"dataDir":"/x"},"id":"a-1"} )"));
  EXPECT_EQ(s.id, "a-1");
  EXPECT_EQ(s.params["dataDir"], "/x");
}

struct BadRequest {
  const char* body;
  const char* code;
  bool has_id;
};

class ParseRequestRejects : public ::testing::TestWithParam<BadRequest> {};

TEST_P(ParseRequestRejects, WithASpecificCode) {
  const BadRequest& bad = GetParam();
  try {
    parse_request(ascii(bad.body));
    ADD_FAILURE() << "accepted: " << bad.body;
  } catch (const RequestError& e) {
    EXPECT_TRUE(bad.has_id) << bad.body;
    EXPECT_STREQ(error_code_name(e.code()), bad.code) << bad.body;
  } catch (const Error& e) {
    EXPECT_FALSE(bad.has_id) << bad.body;
    EXPECT_STREQ(error_code_name(e.code()), bad.code) << bad.body;
  }
}

INSTANTIATE_TEST_SUITE_P(
    MalformedBodies, ParseRequestRejects,
    ::testing::Values(BadRequest{"", "malformed_request", false}, BadRequest{"{", "malformed_request", false},
                      BadRequest{"\xff\xfe", "malformed_request", false}, BadRequest{"[1,2]", "malformed_request", false},
                      BadRequest{"null", "malformed_request", false},
                      BadRequest{R"({"id":1,"method":"status"} x)", "malformed_request", false},
                      BadRequest{R"({"method":"status"})", "malformed_request", false},
                      BadRequest{R"({"id":-1,"method":"status"})", "malformed_request", false},
                      BadRequest{R"({"id":1.5,"method":"status"})", "malformed_request", false},
                      BadRequest{R"({"id":"","method":"status"})", "malformed_request", false},
                      BadRequest{R"({"id":[1],"method":"status"})", "malformed_request", false},
                      BadRequest{R"({"id":1})", "malformed_request", true},
                      BadRequest{R"({"id":1,"method":5})", "malformed_request", true},
                      BadRequest{R"({"id":1,"method":"Status"})", "malformed_request", true},
                      BadRequest{R"({"id":1,"method":"status","extra":0})", "malformed_request", true},
                      BadRequest{R"({"id":1,"method":"status","params":[]})", "invalid_params", true},
                      BadRequest{R"({"id":1,"method":"status","params":"x"})", "invalid_params", true}));

TEST(ParseRequest, RejectsDeepNestingWithoutRecursing) {
  std::string deep = R"({"id":1,"method":"status","params":{"a":)" + std::string(100000, '[') + std::string(100000, ']') + "}}";
  EXPECT_EQ(error_of_call([&] { parse_request(ascii(deep)); }), "malformed_request");
  std::string in_string = R"({"id":1,"method":"status","params":{"a":")" + std::string(1000, '[') + R"("}})";
  EXPECT_NO_THROW(parse_request(ascii(in_string)));
  // The limit is the same whichever parser reads the body: 32 levels (the request object, params,
  // 30 arrays) are taken, 33 are refused for their depth.
  const auto nested = [](size_t arrays) {
    return R"({"id":1,"method":"status","params":{"a":)" + std::string(arrays, '[') + std::string(arrays, ']') + "}}";
  };
  EXPECT_NO_THROW(parse_request(ascii(nested(kMaxJsonDepth - 2))));
  try {
    parse_request(ascii(nested(kMaxJsonDepth - 1)));
    ADD_FAILURE() << "33 levels were accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("JSON nesting deeper than 32"), std::string::npos) << e.what();
  }
}

TEST(Params, TypedAccessorsRejectWrongTypes) {
  Json j = Json::parse(R"({"s":"x","h":"0x0102","n":5,"big":"18446744073709551615","b":true,"o":{"k":1},
                           "neg":-1,"f":1.5,"odd":"0x123","nohex":"0102","bad":"0xzz","twice":"0x0x12","upper":"0X12","over":"18446744073709551616","lead":"01"})");
  Params p(j);
  EXPECT_EQ(p.string("s"), "x");
  EXPECT_EQ(p.bytes("h", 2), (Bytes{1, 2}));
  EXPECT_EQ(p.u64("n"), 5u);
  EXPECT_EQ(p.u64("big"), UINT64_MAX);
  EXPECT_TRUE(p.boolean("b"));
  EXPECT_EQ(p.object("o").u64("k"), 1u);
  EXPECT_FALSE(p.optional_string("missing").has_value());
  for (const char* name : {"missing", "n"}) EXPECT_EQ(error_of_call([&] { p.string(name); }), "invalid_params") << name;
  EXPECT_EQ(error_of_call([&] { p.bytes("h", 3); }), "invalid_params");
  for (const char* name : {"odd", "nohex", "bad", "twice", "upper", "n"}) EXPECT_EQ(error_of_call([&] { p.bytes(name); }), "invalid_params") << name;
  for (const char* name : {"neg", "f", "s", "over", "lead", "b"}) EXPECT_EQ(error_of_call([&] { p.u64(name); }), "invalid_params") << name;
  EXPECT_EQ(error_of_call([&] { p.boolean("n"); }), "invalid_params");
  EXPECT_EQ(error_of_call([&] { p.object("s"); }), "invalid_params");
  EXPECT_EQ(error_of_call([] { (void)Params(Json::array()); }), "invalid_params");
}

struct Counter {
  int calls = 0;
};

Dispatcher<Counter> test_dispatcher() {
  Dispatcher<Counter> d;
  d.add("count", [](Counter& c, const Params& p) {
    c.calls += static_cast<int>(p.u64("by"));
    return Json{{"calls", c.calls}};
  });
  d.add("boom", [](Counter&, const Params&) -> Json { throw std::runtime_error("kaput"); });
  return d;
}

Json handle(const Dispatcher<Counter>& d, Counter& c, const std::string& body) {
  Bytes out = d.handle(c, ascii(body));
  return Json::parse(out.begin(), out.end());
}

// encode_result serializes in place with a fast path for strings that need no escape: its bytes
// must be exactly those of dumping the response document the plain way.
TEST(EncodeResult, IsByteIdenticalToDumpingTheResponse) {
  const std::string invalid_utf8 = std::string("ab\xff\xfe", 4) + "cd";
  const std::vector<Json> results = {
      Json::object(),
      Json::array(),
      nullptr,
      true,
      Json(42u),
      Json(-7),
      Json(1.5),
      Json(18446744073709551615ull),
      "",
      "0x" + std::string(1100, 'a'),
      std::string("quote \" backslash \\ slash / tab \t newline \n nul ") + std::string(1, '\0') + " del \x7f end",
      "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80",
      invalid_utf8,
      Json{{"entry", "0x00ff"}, {"epoch", "1"}, {"notifications", Json::array()}, {"duplicate", true}, {"z", nullptr},
           {"nested", Json{{"b", Json::array({1, "two", Json{{"k\"ey", "v\\al"}}, Json::array()})}, {"a", 0.25}}},
           {invalid_utf8, invalid_utf8}, {"", ""}, {"\x01", "\x1f"}},
  };
  for (const Json& id : {Json(7u), Json("req-\"1\"\xc3\xa9"), Json(invalid_utf8)}) {
    for (const Json& result : results) {
      const Json response = {{"id", id}, {"result", result}};
      const std::string expected = response.dump(-1, ' ', false, Json::error_handler_t::replace);
      const Bytes got = encode_result(id, result);
      EXPECT_EQ(std::string(got.begin(), got.end()), expected) << expected;
    }
  }
}

TEST(Params, HexParamIsLowercaseHexWithPrefix) {
  EXPECT_EQ(hex_param(Bytes{}), "0x");
  EXPECT_EQ(hex_param(Bytes{0x00, 0x09, 0xab, 0xff}), "0x0009abff");
  const Bytes many(700, 0x5c);
  EXPECT_EQ(hex_param(many), "0x" + to_hex(many));
}

// dump_json (strict, as Json::dump()) gives dump()'s bytes, and refuses what dump() refuses.
TEST(DumpJson, StrictIsDumpIncludingItsRefusal) {
  const Json entry{{"sender", "0x" + std::string(40, 'a')}, {"nonce", "7"}, {"payload", "0x" + std::string(200, 'b')},
                   {"signature", "0x" + std::string(130, 'c')},
                   {"domain", Json{{"name", "Anonify \"test\" h\xc3\xa9"}, {"version", "1"}, {"chainId", "31337"}}},
                   {"n", Json::array({1, -2, 2.5, true, nullptr, "\t"})}};
  EXPECT_EQ(dump_json(entry), entry.dump());
  const Json invalid{{"name", std::string("bad \xff utf-8")}};
  EXPECT_THROW((void)invalid.dump(), Json::type_error);
  EXPECT_THROW((void)dump_json(invalid), Json::type_error);
  EXPECT_EQ(dump_json(invalid, Json::error_handler_t::replace), invalid.dump(-1, ' ', false, Json::error_handler_t::replace));
}

// parse_request reads plain documents itself and leaves everything else to nlohmann: either way the
// request must be what nlohmann's document of the body says, and a body nlohmann refuses is refused.
TEST(ParseRequest, GivesNlohmannsDocumentForEveryBody) {
  const std::string hex = "0x" + std::string(900, 'a') + "09FF";
  const std::vector<std::string> bodies = {
      R"({"id":1,"method":"m","params":{}})",
      " \t\r\n{ \"id\" : 18446744073709551615 , \"method\" : \"m\" , \"params\" : { \"payload\" : \"" + hex + "\" } } \n",
      R"({"id":"x","method":"m","params":{"a":[1,2,[3,[]],{"b":null,"c":true,"d":false}],"e":0,"f":9999999999999999999}})",
      R"({"id":1,"method":"m","params":{"big":18446744073709551616,"neg":-1,"f":1.5,"e":1e3,"z":-0}})",
      R"({"id":1,"method":"m","params":{"esc":"a\"b\\c\/d\u00e9\n","utf8":"h\u00e9llo"}})",
      "{\"id\":1,\"method\":\"m\",\"params\":{\"raw\":\"h\xc3\xa9llo \x7f\"}}",
      R"({"id":1,"method":"m","params":{"dup":1,"dup":2}})",
      R"({"id":1,"method":"m","params":null})",
      "\xef\xbb\xbf{\"id\":1,\"method\":\"m\"}",
      R"({"id":1,"method":"m","params":{"a":01}})",
      R"({"id":1,"method":"m","params":{"a":tru}})",
      R"({"id":1,"method":"m","params":{"a":"unterminated}})",
      R"({"id":1,"method":"m","params":{"a":1,}})",
      R"({"id":1,"method":"m","params":{"a":[1,]}})",
      R"({"id":1,"method":"m","params":{}} x)",
      R"({"id":1,"method":"m","params":{"a":"tab	inside"}})",
      R"({"id":1 "method":"m"})",
      R"([1,2])",
      R"("text")",
  };
  std::vector<std::string> all = bodies;
  all.push_back(R"({"id":1,"method":"m","params":{"a":"nul)" + std::string(1, '\0') + R"("}})");
  for (const std::string& body : all) {
    SCOPED_TRACE(body);
    std::optional<Json> reference;
    try {
      reference = Json::parse(body);
    } catch (const Json::parse_error&) {
    }
    std::optional<Request> request;
    std::string error;
    try {
      request = parse_request(ByteView::from_string(body));
    } catch (const Error& e) {
      error = e.what();
    }
    if (!reference) {
      EXPECT_FALSE(request.has_value());
      EXPECT_NE(error.find("request is not valid JSON (byte "), std::string::npos) << error;
      continue;
    }
    if (!reference->is_object()) {
      EXPECT_FALSE(request.has_value());
      continue;
    }
    ASSERT_TRUE(request.has_value()) << error;
    EXPECT_EQ(request->id, (*reference)["id"]);
    EXPECT_EQ(request->method, (*reference)["method"].get<std::string>());
    const Json expected_params = reference->contains("params") && !(*reference)["params"].is_null() ? (*reference)["params"] : Json::object();
    EXPECT_EQ(request->params, expected_params);
    EXPECT_EQ(request->params.dump(), expected_params.dump());  // the same types, not only equal values
  }
}

TEST(Dispatcher, ResultsAndErrorsEchoTheId) {
  Dispatcher<Counter> d = test_dispatcher();
  Counter c;
  Json ok = handle(d, c, R"({"id":1,"method":"count","params":{"by":2}})");
  EXPECT_EQ(ok, Json::parse(R"({"id":1,"result":{"calls":2}})"));
  Json unknown = handle(d, c, R"({"id":"x","method":"nope"})");
  EXPECT_EQ(unknown["id"], "x");
  EXPECT_EQ(unknown["error"]["code"], "unknown_method");
  Json bad_params = handle(d, c, R"({"id":2,"method":"count","params":{"by":"two"}})");
  EXPECT_EQ(bad_params["id"], 2);
  EXPECT_EQ(bad_params["error"]["code"], "invalid_params");
  Json garbage = handle(d, c, "\x01\x02garbage");
  EXPECT_TRUE(garbage["id"].is_null());
  EXPECT_EQ(garbage["error"]["code"], "malformed_request");
  Json internal = handle(d, c, R"({"id":3,"method":"boom"})");
  EXPECT_EQ(internal["error"]["code"], "internal");
  EXPECT_EQ(c.calls, 2);  // failed requests changed nothing
  EXPECT_EQ(error_of_call([&] { d.add("count", nullptr); }), "invalid_argument");
}

// A JsonWriter's text is what dumping the same value gives, escapes and replaced invalid UTF-8
// included, with the members written in dump()'s (sorted) order.
TEST(JsonWriter, WritesWhatDumpWritesForTheSameValue) {
  const Bytes hash(32, 0xab);
  const std::array<uint8_t, 20> address{0x00, 0x01, 0xfe};
  const std::string odd = std::string("quote \" slash \\ tab \t nul ") + '\0' + " \xc3\xa9 bad \xff";
  JsonWriter w;
  w.begin_object()
      .key("a").hex(hash)
      .key("b").hex(address)
      .key("c").hex(Bytes{})
      .key("d").decimal(0)
      .key("e").decimal(UINT64_MAX)
      .key("f").boolean(true)
      .key("g").boolean(false)
      .key("h").begin_array().end_array()
      .key("i").begin_array().begin_object().key("k").string("v").end_object().begin_object().end_object().end_array()
      .key("j").raw_value(R"([1,{"x":null}])")
      .key("k\"ey").string(odd)
      .key("l").string("")
      .end_object();
  const Json expected{{"a", hex_param(hash)},
                      {"b", hex_param(address)},
                      {"c", "0x"},
                      {"d", "0"},
                      {"e", std::to_string(UINT64_MAX)},
                      {"f", true},
                      {"g", false},
                      {"h", Json::array()},
                      {"i", Json::array({Json{{"k", "v"}}, Json::object()})},
                      {"j", Json::array({1, Json{{"x", nullptr}}})},
                      {"k\"ey", odd},
                      {"l", ""}};
  const std::string text = w.take();
  EXPECT_EQ(text, expected.dump(-1, ' ', false, Json::error_handler_t::replace));
  EXPECT_EQ(w.take(), "");  // emptied by take()
  JsonWriter top;
  top.begin_array().decimal(1).string("x").boolean(false).end_array();
  EXPECT_EQ(top.take(), R"(["1","x",false])");
}

// A method may answer with text it wrote itself: the response carries it as the same document.
TEST(Dispatcher, EncodedResultsAreCarriedAsTheyAre) {
  Dispatcher<Counter> d;
  d.add("plain", [](Counter&, const Params&) { return Json{{"n", "7"}, {"ok", true}}; });
  d.add("written", [](Counter&, const Params&) {
    JsonWriter w;
    w.begin_object().key("n").decimal(7).key("ok").boolean(true).end_object();
    return MethodResult::encoded(w.take());
  });
  Counter c;
  const Bytes plain = d.handle(c, ascii(R"({"id":"r","method":"plain"})"));
  const Bytes written = d.handle(c, ascii(R"({"id":"r","method":"written"})"));
  EXPECT_EQ(std::string(written.begin(), written.end()), R"({"id":"r","result":{"n":"7","ok":true}})");
  EXPECT_EQ(written, plain);
}

// Runs serve() over pipes: `input` is the whole request stream.
struct ServeOutcome {
  int exit_code;
  std::vector<Json> responses;
  std::string log;
};

std::string g_log;
void capture_log(const std::string& line) { g_log += line + "\n"; }

ServeOutcome run_serve(const Bytes& input) {
  int in[2], out[2];
  EXPECT_EQ(::pipe(in), 0);
  EXPECT_EQ(::pipe(out), 0);
  // Inputs here are small enough for the pipe buffer (64 KiB).
  EXPECT_EQ(::write(in[1], input.data(), input.size()), static_cast<ssize_t>(input.size()));
  ::close(in[1]);
  Dispatcher<Counter> d = test_dispatcher();
  Counter c;
  g_log.clear();
  int code = serve(d, c, in[0], out[1], capture_log);
  ::close(in[0]);
  ::close(out[1]);
  Bytes produced;
  uint8_t buf[4096];
  ssize_t n;
  while ((n = ::read(out[0], buf, sizeof(buf))) > 0) produced.insert(produced.end(), buf, buf + n);
  ::close(out[0]);
  FrameDecoder decoder;
  decoder.feed(produced);
  std::vector<Json> responses;
  while (auto f = decoder.next()) responses.push_back(Json::parse(f->begin(), f->end()));
  return ServeOutcome{code, responses, g_log};
}

TEST(Serve, AnswersEveryFrameThenExitsCleanlyAtEof) {
  ServeOutcome o = run_serve(concat({encode_frame(ascii(R"({"id":1,"method":"count","params":{"by":1}})")),
                                     encode_frame(ascii("not json")), encode_frame(Bytes{}),
                                     encode_frame(ascii(R"({"id":2,"method":"count","params":{"by":1}})"))}));
  EXPECT_EQ(o.exit_code, kExitOk);
  ASSERT_EQ(o.responses.size(), 4u);
  EXPECT_EQ(o.responses[1]["error"]["code"], "malformed_request");
  EXPECT_EQ(o.responses[2]["error"]["code"], "malformed_request");
  EXPECT_EQ(o.responses[3]["result"]["calls"], 2);
}

TEST(Serve, EofInsideAFrameExitsWithAFramingError) {
  ServeOutcome o = run_serve(concat({encode_frame(ascii(R"({"id":1,"method":"count","params":{"by":1}})")), header(50),
                                     ascii("{\"id\":")}));
  EXPECT_EQ(o.exit_code, kExitFrameError);
  EXPECT_EQ(o.responses.size(), 1u);
  EXPECT_NE(o.log.find("input ended inside a frame"), std::string::npos) << o.log;
}

TEST(Serve, OversizedLengthGetsAnErrorResponseThenExit) {
  ServeOutcome o = run_serve(concat({header(0xFFFFFFFF), ascii("junk")}));
  EXPECT_EQ(o.exit_code, kExitFrameError);
  ASSERT_EQ(o.responses.size(), 1u);
  EXPECT_TRUE(o.responses[0]["id"].is_null());
  EXPECT_EQ(o.responses[0]["error"]["code"], "frame_too_large");
}

}  // namespace
}  // namespace anonify::protocol
