// Runs the EA's Trading.mqh (FxTrading::Execute) against a small in-memory
// terminal: symbols, quotes, positions, pending orders and permission flags
// set per case from stdin. OrderSend only records the request it is given and
// answers as a server that accepts everything; so every refusal in the output
// comes from the EA's own checks, which tests/mql5 compares with the
// simulator's trading engine on the same state.
//
// stdin, one line per case: hex of {"state": {...}, "request": {...TRADE...}}
// stdout, one line: hex of {"outcome": <OutcomeJson>, "sent": [requests...]}
#include "mt5_api.h"

#include <iostream>

struct FakeSymbol {
  std::string name;
  long digits = 5, stops = 0, freeze = 0, filling = 3, trade_mode = SYMBOL_TRADE_MODE_FULL,
       exemode = SYMBOL_TRADE_EXECUTION_MARKET, expiration = 15;
  double point = 0.00001, contract = 100000, vmin = 0.01, vmax = 100, vstep = 0.01, bid = 0, ask = 0;
  long time_msc = 0;
};
struct FakePosition {
  ulong ticket = 0;
  std::string symbol;
  long type = POSITION_TYPE_BUY, magic = 0, time_msc = 0;
  double volume = 0, price_open = 0, sl = 0, tp = 0;
  std::string comment;
};
struct FakeOrder {
  ulong ticket = 0;
  std::string symbol;
  long type = ORDER_TYPE_BUY_LIMIT, magic = 0, setup_msc = 0;
  double volume = 0, price = 0, sl = 0, tp = 0;
  std::string comment;
};

static std::map<std::string, FakeSymbol> g_symbols;
static std::vector<FakePosition> g_positions;
static std::vector<FakeOrder> g_orders;
static bool g_connected = true, g_terminal_trade = true, g_ea_trade = true, g_account_trade = true;
static long g_now_s = 1700000000;
static int g_position = -1, g_order = -1;
static std::vector<MqlTradeRequest> g_sent;
static ulong g_next_ticket = 5000000;

static const FakeSymbol* find_symbol(const string& name) {
  auto it = g_symbols.find(name.utf8());
  return it == g_symbols.end() ? nullptr : &it->second;
}

long AccountInfoInteger(ENUM_ACCOUNT_INFO_INTEGER p) {
  if (p == ACCOUNT_TRADE_ALLOWED) return g_account_trade;
  if (p == ACCOUNT_TRADE_EXPERT) return 1;
  if (p == ACCOUNT_MARGIN_MODE) return ACCOUNT_MARGIN_MODE_RETAIL_HEDGING;
  if (p == ACCOUNT_LEVERAGE) return 100;
  return 0;
}
double AccountInfoDouble(ENUM_ACCOUNT_INFO_DOUBLE) { return 1e9; }
string AccountInfoString(ENUM_ACCOUNT_INFO_STRING) { return string("USD"); }

int PositionsTotal() { return (int)g_positions.size(); }
ulong PositionGetTicket(int i) {
  if (i < 0 || i >= (int)g_positions.size()) return 0;
  g_position = i;
  return g_positions[(size_t)i].ticket;
}
bool PositionSelectByTicket(ulong ticket) {
  for (size_t i = 0; i < g_positions.size(); i++)
    if (g_positions[i].ticket == ticket) { g_position = (int)i; return true; }
  return false;
}
long PositionGetInteger(ENUM_POSITION_PROPERTY_INTEGER p) {
  const FakePosition& x = g_positions.at((size_t)g_position);
  if (p == POSITION_TICKET || p == POSITION_IDENTIFIER) return (long)x.ticket;
  if (p == POSITION_TYPE) return x.type;
  if (p == POSITION_MAGIC) return x.magic;
  if (p == POSITION_TIME_MSC) return x.time_msc;
  return 0;
}
double PositionGetDouble(ENUM_POSITION_PROPERTY_DOUBLE p) {
  const FakePosition& x = g_positions.at((size_t)g_position);
  if (p == POSITION_VOLUME) return x.volume;
  if (p == POSITION_PRICE_OPEN) return x.price_open;
  if (p == POSITION_SL) return x.sl;
  if (p == POSITION_TP) return x.tp;
  return 0;
}
string PositionGetString(ENUM_POSITION_PROPERTY_STRING p) {
  const FakePosition& x = g_positions.at((size_t)g_position);
  return string(p == POSITION_SYMBOL ? x.symbol.c_str() : x.comment.c_str());
}

int OrdersTotal() { return (int)g_orders.size(); }
ulong OrderGetTicket(int i) {
  if (i < 0 || i >= (int)g_orders.size()) return 0;
  g_order = i;
  return g_orders[(size_t)i].ticket;
}
bool OrderSelect(ulong ticket) {
  for (size_t i = 0; i < g_orders.size(); i++)
    if (g_orders[i].ticket == ticket) { g_order = (int)i; return true; }
  return false;
}
long OrderGetInteger(ENUM_ORDER_PROPERTY_INTEGER p) {
  const FakeOrder& x = g_orders.at((size_t)g_order);
  if (p == ORDER_TICKET) return (long)x.ticket;
  if (p == ORDER_TYPE) return x.type;
  if (p == ORDER_MAGIC) return x.magic;
  if (p == ORDER_TIME_SETUP_MSC) return x.setup_msc;
  if (p == ORDER_TYPE_TIME) return ORDER_TIME_GTC;
  return 0;
}
double OrderGetDouble(ENUM_ORDER_PROPERTY_DOUBLE p) {
  const FakeOrder& x = g_orders.at((size_t)g_order);
  if (p == ORDER_VOLUME_CURRENT || p == ORDER_VOLUME_INITIAL) return x.volume;
  if (p == ORDER_PRICE_OPEN) return x.price;
  if (p == ORDER_SL) return x.sl;
  if (p == ORDER_TP) return x.tp;
  return 0;
}
string OrderGetString(ENUM_ORDER_PROPERTY_STRING p) {
  const FakeOrder& x = g_orders.at((size_t)g_order);
  return string(p == ORDER_SYMBOL ? x.symbol.c_str() : x.comment.c_str());
}

// the accepting server: every request that reaches it succeeds
bool OrderSend(MqlTradeRequest& request, MqlTradeResult& result) {
  g_sent.push_back(request);
  result = MqlTradeResult{};
  result.retcode = request.action == TRADE_ACTION_PENDING ? 10008 : 10009;
  result.order = request.action == TRADE_ACTION_DEAL || request.action == TRADE_ACTION_PENDING ? g_next_ticket++ : 0;
  result.deal = request.action == TRADE_ACTION_DEAL ? g_next_ticket++ : 0;
  result.volume = request.volume;
  result.price = request.price;
  return true;
}

// the deal history: 778 (balance) listed before 777 (an SL close), as MT5 lists by time
static const ulong g_deals[] = {778, 777};
bool HistorySelect(datetime, datetime) { return true; }
int HistoryDealsTotal() { return 2; }
ulong HistoryDealGetTicket(int i) { return i >= 0 && i < 2 ? g_deals[i] : 0; }
bool HistoryDealSelect(ulong ticket) { return ticket == 777 || ticket == 778; }
long HistoryDealGetInteger(ulong ticket, ENUM_DEAL_PROPERTY_INTEGER p) {
  bool sl = ticket == 777;
  switch (p) {
    case DEAL_ORDER: return sl ? 5001 : 0;
    case DEAL_POSITION_ID: return sl ? 1000 : 0;
    case DEAL_TYPE: return sl ? DEAL_TYPE_SELL : DEAL_TYPE_BALANCE;
    case DEAL_ENTRY: return sl ? DEAL_ENTRY_OUT : DEAL_ENTRY_IN;
    case DEAL_MAGIC: return sl ? 7 : 0;
    case DEAL_REASON: return sl ? DEAL_REASON_SL : DEAL_REASON_CLIENT;
    case DEAL_TIME_MSC: return g_now_s * 1000 + 5;
    default: return 0;
  }
}
double HistoryDealGetDouble(ulong ticket, ENUM_DEAL_PROPERTY_DOUBLE p) {
  bool sl = ticket == 777;
  switch (p) {
    case DEAL_VOLUME: return sl ? 0.1 : 0;
    case DEAL_PRICE: return sl ? 1.0849 : 0;
    case DEAL_PROFIT: return sl ? -12.5 : 10000;
    case DEAL_COMMISSION: return sl ? -0.7 : 0;
    default: return 0;
  }
}
string HistoryDealGetString(ulong ticket, ENUM_DEAL_PROPERTY_STRING p) {
  if (p == DEAL_SYMBOL) return string(ticket == 777 ? "EURUSD" : "");
  return string(ticket == 777 ? "[sl 1.08490]" : "deposit");
}
int HistoryOrdersTotal() { return 0; }
ulong HistoryOrderGetTicket(int) { return 0; }
string HistoryOrderGetString(ulong, ENUM_ORDER_PROPERTY_STRING) { return string(); }

long SymbolInfoInteger(const string& name, ENUM_SYMBOL_INFO_INTEGER p) {
  const FakeSymbol* s = find_symbol(name);
  if (!s) return 0;
  switch (p) {
    case SYMBOL_DIGITS: return s->digits;
    case SYMBOL_TRADE_STOPS_LEVEL: return s->stops;
    case SYMBOL_TRADE_FREEZE_LEVEL: return s->freeze;
    case SYMBOL_TRADE_MODE: return s->trade_mode;
    case SYMBOL_TRADE_EXEMODE: return s->exemode;
    case SYMBOL_FILLING_MODE: return s->filling;
    case SYMBOL_EXPIRATION_MODE: return s->expiration;
    default: return 0;
  }
}
double SymbolInfoDouble(const string& name, ENUM_SYMBOL_INFO_DOUBLE p) {
  const FakeSymbol* s = find_symbol(name);
  if (!s) return 0;
  switch (p) {
    case SYMBOL_POINT: return s->point;
    case SYMBOL_TRADE_TICK_SIZE: return s->point;
    case SYMBOL_TRADE_CONTRACT_SIZE: return s->contract;
    case SYMBOL_VOLUME_MIN: return s->vmin;
    case SYMBOL_VOLUME_MAX: return s->vmax;
    case SYMBOL_VOLUME_STEP: return s->vstep;
    case SYMBOL_BID: return s->bid;
    case SYMBOL_ASK: return s->ask;
    default: return 0;
  }
}
string SymbolInfoString(const string&, ENUM_SYMBOL_INFO_STRING) { return string("USD"); }
bool SymbolInfoTick(const string& name, MqlTick& tick) {
  const FakeSymbol* s = find_symbol(name);
  tick = MqlTick{};
  if (!s || s->bid <= 0) return false;
  tick.bid = s->bid;
  tick.ask = s->ask;
  tick.time_msc = s->time_msc;
  return true;
}
bool SymbolSelect(const string& name, bool) { return find_symbol(name) != nullptr; }
bool SymbolExist(const string& name, bool& custom) { custom = false; return find_symbol(name) != nullptr; }

int TerminalInfoInteger(ENUM_TERMINAL_INFO_INTEGER p) {
  if (p == TERMINAL_CONNECTED) return g_connected;
  if (p == TERMINAL_TRADE_ALLOWED) return g_terminal_trade;
  return 0;
}
int MQLInfoInteger(ENUM_MQL_INFO_INTEGER p) { return p == MQL_TRADE_ALLOWED ? g_ea_trade : 0; }
datetime TimeGMT() { return g_now_s; }
datetime TimeLocal() { return g_now_s; }
datetime TimeTradeServer() { return g_now_s; }
static ulong g_micros = 0;
ulong GetMicrosecondCount() { return g_micros += 10; }
long ChartID() { return 1; }
void MathSrand(int) {}
int MathRand() { return 4; }
void Sleep(int) {}
bool EventSetMillisecondTimer(int) { return true; }
void EventKillTimer() {}

// mql-zmq stand-ins: the request path never touches a socket here
Context::Context(string) {}
Socket::Socket(const Context&, int) {}
bool Socket::valid() const { return false; }
bool Socket::bind(string) { return false; }
bool Socket::send(const MqlArray<uchar>&, bool) { return false; }
bool Socket::sendMore(const MqlArray<uchar>&, bool) { return false; }
bool Socket::recv(ZmqMsg&, bool) { return false; }
void Socket::fillPollItem(PollItem&, short) {}
template <size_t N>
int Socket::poll(PollItem (&)[N], long) { return 0; }
bool Socket::setLinger(int) { return true; }
bool Socket::setSendHighWaterMark(int) { return true; }
bool Socket::setMaxMessageSize(long) { return true; }
ZmqMsg::ZmqMsg() {}
long ZmqMsg::size() { return 0; }
void ZmqMsg::getData(MqlArray<uchar>&) {}
bool ZmqMsg::more() { return false; }
string Zmq::errorMessage(int) { return string(); }
string Zmq::getVersion() { return string("4.2.0"); }

#include "Protocol.mqh"
#include "Retcodes.mqh"
#include "Json.mqh"
#include "Clock.mqh"
#include "TerminalState.mqh"
#include "Outcome.mqh"
#include "RequestFields.mqh"
#include "Trading.mqh"
#include "CommandLedger.mqh"
#include "Server.mqh"
#include "Events.mqh"
#include "Requests.mqh"

static MqlArray<uchar> from_hex(const std::string& hex) {
  MqlArray<uchar> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.v.push_back((uchar)std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}
static std::string to_hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) { out.push_back(digits[c >> 4]); out.push_back(digits[c & 15]); }
  return out;
}
static double num(JsonNode* n, double fallback = 0) {
  double v = fallback;
  if (n != NULL) JsonToDouble(n, v);
  return v;
}
static long integer(JsonNode* n, long fallback = 0) {
  long v = fallback;
  if (n != NULL && !JsonToLong(n, v)) v = (long)num(n, (double)fallback);
  return v;
}
static std::string text(JsonNode* n) { return n == NULL ? std::string() : n->text.utf8(); }

static void load_state(JsonNode* state) {
  g_symbols.clear();
  g_positions.clear();
  g_orders.clear();
  g_sent.clear();
  g_now_s = integer(state->Member("nowMs")) / 1000;
  g_connected = state->Member("connected")->flag;
  g_terminal_trade = state->Member("terminalTradeAllowed")->flag;
  g_ea_trade = state->Member("eaTradeAllowed")->flag;
  g_account_trade = state->Member("accountTradeAllowed")->flag;
  JsonNode* symbols = state->Member("symbols");
  for (int i = 0; i < symbols->Count(); i++) {
    JsonNode* s = symbols->Item(i);
    FakeSymbol f;
    f.name = text(s->Member("name"));
    f.digits = integer(s->Member("digits"));
    f.point = std::pow(10.0, -(double)f.digits);
    f.stops = integer(s->Member("stopsLevel"));
    f.freeze = integer(s->Member("freezeLevel"));
    f.filling = integer(s->Member("fillingModes"));
    std::string mode = text(s->Member("tradeMode"));
    f.trade_mode = mode == "DISABLED" ? SYMBOL_TRADE_MODE_DISABLED : mode == "LONGONLY" ? SYMBOL_TRADE_MODE_LONGONLY
                 : mode == "SHORTONLY" ? SYMBOL_TRADE_MODE_SHORTONLY : mode == "CLOSEONLY" ? SYMBOL_TRADE_MODE_CLOSEONLY
                 : SYMBOL_TRADE_MODE_FULL;
    f.vmin = num(s->Member("volumeMin"));
    f.vmax = num(s->Member("volumeMax"));
    f.vstep = num(s->Member("volumeStep"));
    f.bid = num(s->Member("bid"));
    f.ask = num(s->Member("ask"));
    f.time_msc = integer(state->Member("nowMs"));
    g_symbols[f.name] = f;
  }
  JsonNode* positions = state->Member("positions");
  for (int i = 0; i < positions->Count(); i++) {
    JsonNode* p = positions->Item(i);
    FakePosition f;
    f.ticket = (ulong)integer(p->Member("ticket"));
    f.symbol = text(p->Member("symbol"));
    f.type = text(p->Member("side")) == "BUY" ? POSITION_TYPE_BUY : POSITION_TYPE_SELL;
    f.volume = num(p->Member("volume"));
    f.price_open = num(p->Member("priceOpen"));
    f.sl = num(p->Member("sl"));
    f.tp = num(p->Member("tp"));
    f.magic = integer(p->Member("magic"));
    g_positions.push_back(f);
  }
  JsonNode* orders = state->Member("orders");
  for (int i = 0; i < orders->Count(); i++) {
    JsonNode* o = orders->Item(i);
    FakeOrder f;
    f.ticket = (ulong)integer(o->Member("ticket"));
    f.symbol = text(o->Member("symbol"));
    std::string t = text(o->Member("orderType"));
    f.type = t == "BUY_LIMIT" ? ORDER_TYPE_BUY_LIMIT : t == "SELL_LIMIT" ? ORDER_TYPE_SELL_LIMIT
           : t == "BUY_STOP" ? ORDER_TYPE_BUY_STOP : ORDER_TYPE_SELL_STOP;
    f.volume = num(o->Member("volume"));
    f.price = num(o->Member("priceOpen"));
    f.magic = integer(o->Member("magic"));
    g_orders.push_back(f);
  }
}

static std::string describe(const MqlTradeRequest& r) {
  JsonWriter w;
  w.BeginObject();
  w.KeyLong("action", (long)r.action);
  w.KeyStr("symbol", r.symbol);
  w.KeyRaw("volume", StringFormat("%.17g", r.volume));
  w.KeyRaw("price", StringFormat("%.17g", r.price));
  w.KeyRaw("sl", StringFormat("%.17g", r.sl));
  w.KeyRaw("tp", StringFormat("%.17g", r.tp));
  w.KeyLong("type", (long)r.type);
  w.KeyLong("filling", (long)r.type_filling);
  w.KeyLong("typeTime", (long)r.type_time);
  w.KeyLong("expiration", (long)r.expiration);
  w.KeyLong("deviation", (long)r.deviation);
  w.KeyLong("magic", (long)r.magic);
  w.KeyStr("comment", r.comment);
  w.KeyLong("position", (long)r.position);
  w.KeyLong("order", (long)r.order);
  w.EndObject();
  return w.Text().utf8();
}

int main() {
  FxClock clock;
  FxTrading trading;
  // the EA's request path, wired as OnInit wires it (sockets not started)
  CommandLedger ledger;
  FxServer server;
  FxEvents events;
  FxRequests requests;
  bool wired = false;
  std::string line;
  while (std::getline(std::cin, line)) {
    MqlArray<uchar> bytes = from_hex(line);
    string body = CharArrayToString(bytes, 0, ArraySize(bytes), CP_UTF8);
    JsonParser parser;
    JsonNode* root = parser.Parse(body);
    std::string answer;
    if (root == NULL) {
      answer = "{\"error\":\"bad case\"}";
    } else if (root->Member("events") != NULL) {
      // each event writer once: a tick, a DEAL_ADD with its deal, account, heartbeat
      load_state(root->Member("state"));
      MqlTick tick{};
      tick.bid = 1.085; tick.ask = 1.0851; tick.time_msc = g_now_s * 1000; tick.volume = 3;
      MqlTradeTransaction trans{};
      trans.type = TRADE_TRANSACTION_DEAL_ADD; trans.deal = 777; trans.order = 5001; trans.position = 1000;
      trans.symbol = string("EURUSD");
      MqlTradeTransaction update{};
      update.type = TRADE_TRANSACTION_ORDER_DELETE; update.order = 2000; update.symbol = string("EURUSD");
      JsonWriter a, b, c, d, e;
      WriteTickEvent(a, "instance-1", 1, "EURUSD", tick, 5, clock.ServerMsToUtcMs(tick.time_msc));
      WriteTransactionEvent(b, &clock, "instance-1", 2, trans);
      WriteTransactionEvent(c, &clock, "instance-1", 3, update);
      WriteAccountEvent(d, &clock, "instance-1", 4);
      WriteHeartbeatEvent(e, &clock, "instance-1", 5, 123);
      answer = "{\"events\":[" + a.Text().utf8() + "," + b.Text().utf8() + "," + c.Text().utf8() + ","
             + d.Text().utf8() + "," + e.Text().utf8() + "]}";
      delete root;
    } else if (root->Member("body") != NULL) {
      // {"config", "state", "body"}: one request through FxRequests::Handle
      JsonNode* config = root->Member("config");
      if (!wired) {
        if (!ledger.Open("FxBridge\\ledger.txt", 100)) {
          std::cerr << ledger.Error().utf8() << std::endl;
          return 1;
        }
        events.Configure(&server, &clock, "instance-1", 1000, 1000);
        requests.Configure(&trading, &ledger, &events, &clock);
        wired = true;
      }
      trading.Configure(&clock, integer(config->Member("magicFilter")), num(config->Member("maxLot")));
      load_state(root->Member("state"));
      JsonWriter reply;
      requests.Handle(root->Member("body")->text, reply);
      answer = "{\"reply\":" + reply.Text().utf8() + ",\"sent\":[";
      for (size_t i = 0; i < g_sent.size(); i++) answer += (i ? "," : "") + describe(g_sent[i]);
      answer += "]}";
      delete root;
    } else {
      JsonNode* config = root->Member("config");
      trading.Configure(&clock, integer(config->Member("magicFilter")), num(config->Member("maxLot")));
      load_state(root->Member("state"));
      RequestFields f(root->Member("request"));
      TradeCommand cmd;
      if (!ReadTrade(f, cmd)) {
        answer = "{\"error\":\"" + f.Field().utf8() + "\"}";
      } else {
        TradeResult result;
        trading.Execute(cmd, result);
        answer = "{\"outcome\":" + OutcomeJson(cmd.commandId, result).utf8() + ",\"sent\":[";
        for (size_t i = 0; i < g_sent.size(); i++) answer += (i ? "," : "") + describe(g_sent[i]);
        answer += "]}";
      }
      delete root;
    }
    std::cout << to_hex(answer) << "\n" << std::flush;
  }
  return 0;
}
