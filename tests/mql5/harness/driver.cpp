// Runs the EA's pure MQL5 code (converted to C++ by tests/mql5/mql_cpp.py) on
// requests from stdin, one per line: "<command> <hex payload>". Each answer is
// one line of hex (UTF-8 bytes). Payloads travel as hex so that any bytes,
// also invalid UTF-8, reach the EA's code exactly as the ROUTER would hand
// them over: bytes -> CharArrayToString(CP_UTF8) -> JsonParser.
#include "mql5_shim.h"

#include "Protocol.mqh"
#include "Retcodes.mqh"
#include "Json.mqh"
#include "Outcome.mqh"
#include "RequestFields.mqh"
#include "Replies.mqh"
#include "CommandLedger.mqh"

#include <iostream>

static MqlArray<uchar> from_hex(const std::string& hex) {
  MqlArray<uchar> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.v.push_back((uchar)std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}
static std::string to_hex(const MqlArray<uchar>& bytes, int n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < n; i++) {
    out.push_back(digits[bytes.v[(size_t)i] >> 4]);
    out.push_back(digits[bytes.v[(size_t)i] & 15]);
  }
  return out;
}
static string text_of(const std::string& hex) {
  MqlArray<uchar> bytes = from_hex(hex);
  return CharArrayToString(bytes, 0, ArraySize(bytes), CP_UTF8);
}
static std::string hex_of(const string& text) {
  MqlArray<uchar> bytes;
  int n = StringLen(text) == 0 ? 0 : StringToCharArray(text, bytes, 0, StringLen(text), CP_UTF8);
  return to_hex(bytes, n);
}
static std::string hex_of(JsonWriter& w) {
  MqlArray<uchar> bytes;
  int n = w.ToBytes(bytes);
  return to_hex(bytes, n);
}
static string g17(double v) { return StringFormat("%.17g", v); }

// What the EA's FxRequests::Handle does before it touches the terminal; a
// request that decodes is answered with what was decoded, for comparison.
static std::string request(const string& body) {
  JsonWriter reply;
  JsonParser parser;
  JsonNode* root = parser.Parse(body);
  if (root == NULL) {
    WriteErrorReply(reply, UNREADABLE_REQUEST_ID, ECODE_BAD_REQUEST, "malformed JSON: " + parser.Error(), "");
    return hex_of(reply);
  }
  string type = "";
  string requestId = UNREADABLE_REQUEST_ID;
  RequestFields f(root);
  if (ReadEnvelope(root, f, type, requestId)) {
    reply.BeginObject();
    reply.KeyStr("type", type);
    reply.KeyStr("requestId", requestId);
    if (type == MSG_TRADE) {
      TradeCommand cmd;
      if (ReadTrade(f, cmd)) {
        reply.KeyStr("commandId", cmd.commandId);
        reply.KeyStr("action", cmd.action);
        reply.KeyStr("symbol", cmd.symbol);
        reply.KeyStr("orderType", cmd.orderType);
        reply.KeyRaw("volume", g17(cmd.volume));
        reply.KeyRaw("price", g17(cmd.price));
        if (cmd.hasSl) reply.KeyRaw("sl", g17(cmd.sl));
        if (cmd.hasTp) reply.KeyRaw("tp", g17(cmd.tp));
        if (cmd.hasTicket) reply.KeyRaw("ticket", StringFormat("%llu", cmd.ticket));
        if (cmd.hasMagic) reply.KeyLong("magic", cmd.magic);
        reply.KeyLong("deviation", cmd.deviation);
        reply.KeyLong("expirationMsc", cmd.expirationMsc);
      }
    } else if (type == MSG_QUERY_COMMAND) {
      string commandId = "";
      if (ReadQueryCommand(f, commandId)) reply.KeyStr("commandId", commandId);
    } else if (type == MSG_GET_ACCOUNT) {
      ReadGetAccount(f);
    } else if (type == MSG_PING) {
      ReadPing(f);
    } else if (type == MSG_GET_POSITIONS || type == MSG_GET_ORDERS) {
      PageQuery q;
      q.byMagic = false;
      bool ok = type == MSG_GET_POSITIONS ? ReadGetPositions(f, q) : ReadGetOrders(f, q);
      if (ok) {
        reply.KeyStr("symbol", q.symbol);
        if (q.byMagic) reply.KeyLong("magic", q.magic);
        reply.KeyLong("offset", q.offset);
        reply.KeyLong("limit", q.limit);
      }
    } else if (type == MSG_GET_DEALS) {
      long after = 0, limit = 0;
      if (ReadGetDeals(f, after, limit)) {
        reply.KeyLong("afterTicket", after);
        reply.KeyLong("limit", limit);
      }
    } else if (type == MSG_GET_SYMBOLS || type == MSG_SUBSCRIBE) {
      MqlArray<string> symbols;
      bool ok = type == MSG_GET_SYMBOLS ? ReadGetSymbols(f, symbols) : ReadSubscribe(f, symbols);
      if (ok) {
        reply.KeyArray("symbols");
        for (int i = 0; i < ArraySize(symbols); i++) reply.Str(symbols[i]);
        reply.EndArray();
      }
    }
    reply.EndObject();
  }
  if (!f.Ok()) WriteErrorReply(reply, requestId, ECODE_BAD_REQUEST, f.Error(), f.Field());
  delete root;
  return hex_of(reply);
}

// A TradeResult described as JSON (read with the EA's own parser) -> OutcomeJson
static std::string outcome(const string& spec) {
  JsonParser parser;
  JsonNode* root = parser.Parse(spec);
  if (root == NULL) return hex_of("ERR " + parser.Error());
  TradeResult r;
  ResetResult(r, 0);
  long v = 0;
  double d = 0;
  JsonToLong(root->Member("retcode"), v); r.retcode = (uint)v;
  JsonToLong(root->Member("order"), v); r.order = (ulong)v;
  JsonToLong(root->Member("deal"), v); r.deal = (ulong)v;
  JsonToLong(root->Member("position"), v); r.position = (ulong)v;
  JsonToDouble(root->Member("volume"), d); r.volume = d;
  JsonToDouble(root->Member("price"), d); r.price = d;
  JsonToDouble(root->Member("bid"), d); r.bid = d;
  JsonToDouble(root->Member("ask"), d); r.ask = d;
  JsonToLong(root->Member("timeMsc"), v); r.timeMsc = v;
  r.message = root->Member("message")->text;
  JsonNode* closed = root->Member("closed");
  ArrayResize(r.closed, closed->Count());
  for (int i = 0; i < closed->Count(); i++) {
    JsonNode* item = closed->Item(i);
    JsonToLong(item->Member("ticket"), v); r.closed[i].ticket = (ulong)v;
    JsonToLong(item->Member("retcode"), v); r.closed[i].retcode = (uint)v;
    JsonToLong(item->Member("deal"), v); r.closed[i].deal = (ulong)v;
    JsonToDouble(item->Member("volume"), d); r.closed[i].volume = d;
    JsonToDouble(item->Member("price"), d); r.closed[i].price = d;
  }
  string commandId = root->Member("commandId")->text;
  delete root;
  return hex_of(OutcomeJson(commandId, r));
}

static CommandLedger g_ledger;

static string split_at_tab(const string& s, string& rest) {
  int tab = StringFind(s, "\t");
  rest = tab < 0 ? string() : StringSubstr(s, tab + 1);
  return tab < 0 ? s : StringSubstr(s, 0, tab);
}

int main() {
  std::string line;
  while (std::getline(std::cin, line)) {
    size_t space = line.find(' ');
    std::string cmd = line.substr(0, space);
    std::string payload = space == std::string::npos ? "" : line.substr(space + 1);
    string text = text_of(payload);
    std::string answer;
    if (cmd == "request") {
      answer = request(text);
    } else if (cmd == "parse") {
      JsonParser parser;
      JsonNode* root = parser.Parse(text);
      answer = hex_of(root == NULL ? "ERR " + parser.Error() : string("OK"));
      delete root;
    } else if (cmd == "quote16") {
      MqlArray<uchar> raw = from_hex(payload);
      std::u16string units;
      for (int i = 0; i + 1 < ArraySize(raw); i += 2) units.push_back((char16_t)(raw[i] | (raw[i + 1] << 8)));
      answer = hex_of(JsonQuote(string(units)));
    } else if (cmd == "number") {
      string rest;
      std::string value = split_at_tab(text, rest).utf8();
      answer = hex_of(JsonNumberText(std::strtod(value.c_str(), nullptr), (int)StringToInteger(rest)));
    } else if (cmd == "outcome") {
      answer = outcome(text);
    } else if (cmd == "error_reply") {
      JsonWriter w;
      string rest, rest2;
      string id = split_at_tab(text, rest);
      string message = split_at_tab(rest, rest2);
      WriteErrorReply(w, id, ECODE_BAD_REQUEST, message, rest2);
      answer = hex_of(w);
    } else if (cmd == "retcode") {
      uint code = (uint)StringToInteger(text);
      answer = hex_of(RetcodeName(code) + " " + IntegerToString((long)RetcodeClass(code)));
    } else if (cmd == "ledger_open") {
      string rest;
      string file = split_at_tab(text, rest);
      bool ok = g_ledger.Open(file, (int)StringToInteger(rest));
      answer = hex_of(ok ? string("OK") : "ERR " + g_ledger.Error());
    } else if (cmd == "ledger_begin") {
      answer = hex_of(g_ledger.Begin(text) ? string("OK") : "ERR " + g_ledger.Error());
    } else if (cmd == "ledger_complete") {
      string rest;
      string id = split_at_tab(text, rest);
      answer = hex_of(g_ledger.Complete(id, rest) ? string("OK") : "ERR " + g_ledger.Error());
    } else if (cmd == "ledger_lookup") {
      string state, stored;
      answer = hex_of(g_ledger.Lookup(text, state, stored) ? state + "\t" + stored : string("-"));
    } else if (cmd == "ledger_size") {
      answer = hex_of(IntegerToString(g_ledger.Size()));
    } else if (cmd == "ledger_close") {
      g_ledger.Close();
      answer = hex_of(string("OK"));
    } else {
      answer = hex_of("ERR unknown command " + string(cmd.c_str()));
    }
    std::cout << answer << "\n" << std::flush;
  }
  return 0;
}
