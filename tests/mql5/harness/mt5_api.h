// Declarations of the MetaTrader 5 API and of the mql-zmq classes the EA calls,
// for a compile-only check of the whole EA with g++ (-fsyntax-only).
//
// Signatures follow the MQL5 reference (property enums kept apart, so a double
// property passed to an integer getter fails as it would in MetaEditor) and
// mql-zmq 1.5 (Include/Zmq/Socket.mqh, ZmqMsg.mqh, Context.mqh, Zmq.mqh).
// Nothing here runs: it only lets the compiler check names, types and calls.
#pragma once

#include "mql5_shim.h"

// ------------------------------------------------------------------ enums

enum ENUM_ACCOUNT_INFO_INTEGER { ACCOUNT_LOGIN, ACCOUNT_TRADE_MODE, ACCOUNT_LEVERAGE, ACCOUNT_LIMIT_ORDERS,
  ACCOUNT_MARGIN_SO_MODE, ACCOUNT_TRADE_ALLOWED, ACCOUNT_TRADE_EXPERT, ACCOUNT_MARGIN_MODE,
  ACCOUNT_CURRENCY_DIGITS, ACCOUNT_FIFO_CLOSE, ACCOUNT_HEDGE_ALLOWED };
enum ENUM_ACCOUNT_INFO_DOUBLE { ACCOUNT_BALANCE, ACCOUNT_CREDIT, ACCOUNT_PROFIT, ACCOUNT_EQUITY, ACCOUNT_MARGIN,
  ACCOUNT_MARGIN_FREE, ACCOUNT_MARGIN_LEVEL, ACCOUNT_MARGIN_SO_CALL, ACCOUNT_MARGIN_SO_SO };
enum ENUM_ACCOUNT_INFO_STRING { ACCOUNT_NAME, ACCOUNT_SERVER, ACCOUNT_CURRENCY, ACCOUNT_COMPANY };
enum ENUM_ACCOUNT_MARGIN_MODE { ACCOUNT_MARGIN_MODE_RETAIL_NETTING, ACCOUNT_MARGIN_MODE_EXCHANGE,
  ACCOUNT_MARGIN_MODE_RETAIL_HEDGING };

enum ENUM_POSITION_PROPERTY_INTEGER { POSITION_TICKET, POSITION_TIME, POSITION_TIME_MSC, POSITION_TIME_UPDATE,
  POSITION_TIME_UPDATE_MSC, POSITION_TYPE, POSITION_MAGIC, POSITION_IDENTIFIER, POSITION_REASON };
enum ENUM_POSITION_PROPERTY_DOUBLE { POSITION_VOLUME, POSITION_PRICE_OPEN, POSITION_SL, POSITION_TP,
  POSITION_PRICE_CURRENT, POSITION_SWAP, POSITION_PROFIT };
enum ENUM_POSITION_PROPERTY_STRING { POSITION_SYMBOL, POSITION_COMMENT, POSITION_EXTERNAL_ID };
enum ENUM_POSITION_TYPE { POSITION_TYPE_BUY, POSITION_TYPE_SELL };

enum ENUM_ORDER_PROPERTY_INTEGER { ORDER_TICKET, ORDER_TIME_SETUP, ORDER_TYPE, ORDER_STATE, ORDER_TIME_EXPIRATION,
  ORDER_TIME_DONE, ORDER_TIME_SETUP_MSC, ORDER_TIME_DONE_MSC, ORDER_TYPE_FILLING, ORDER_TYPE_TIME, ORDER_MAGIC,
  ORDER_REASON, ORDER_POSITION_ID, ORDER_POSITION_BY_ID };
enum ENUM_ORDER_PROPERTY_DOUBLE { ORDER_VOLUME_INITIAL, ORDER_VOLUME_CURRENT, ORDER_PRICE_OPEN, ORDER_SL, ORDER_TP,
  ORDER_PRICE_CURRENT, ORDER_PRICE_STOPLIMIT };
enum ENUM_ORDER_PROPERTY_STRING { ORDER_SYMBOL, ORDER_COMMENT, ORDER_EXTERNAL_ID };
enum ENUM_ORDER_TYPE { ORDER_TYPE_BUY, ORDER_TYPE_SELL, ORDER_TYPE_BUY_LIMIT, ORDER_TYPE_SELL_LIMIT,
  ORDER_TYPE_BUY_STOP, ORDER_TYPE_SELL_STOP, ORDER_TYPE_BUY_STOP_LIMIT, ORDER_TYPE_SELL_STOP_LIMIT,
  ORDER_TYPE_CLOSE_BY };
enum ENUM_ORDER_TYPE_FILLING { ORDER_FILLING_FOK, ORDER_FILLING_IOC, ORDER_FILLING_RETURN, ORDER_FILLING_BOC };
enum ENUM_ORDER_TYPE_TIME { ORDER_TIME_GTC, ORDER_TIME_DAY, ORDER_TIME_SPECIFIED, ORDER_TIME_SPECIFIED_DAY };
enum ENUM_ORDER_STATE { ORDER_STATE_STARTED, ORDER_STATE_PLACED, ORDER_STATE_CANCELED, ORDER_STATE_PARTIAL,
  ORDER_STATE_FILLED, ORDER_STATE_REJECTED, ORDER_STATE_EXPIRED };

enum ENUM_DEAL_PROPERTY_INTEGER { DEAL_TICKET, DEAL_ORDER, DEAL_TIME, DEAL_TIME_MSC, DEAL_TYPE, DEAL_ENTRY,
  DEAL_MAGIC, DEAL_REASON, DEAL_POSITION_ID };
enum ENUM_DEAL_PROPERTY_DOUBLE { DEAL_VOLUME, DEAL_PRICE, DEAL_COMMISSION, DEAL_SWAP, DEAL_PROFIT, DEAL_FEE,
  DEAL_SL, DEAL_TP };
enum ENUM_DEAL_PROPERTY_STRING { DEAL_SYMBOL, DEAL_COMMENT, DEAL_EXTERNAL_ID };
enum ENUM_DEAL_TYPE { DEAL_TYPE_BUY, DEAL_TYPE_SELL, DEAL_TYPE_BALANCE, DEAL_TYPE_CREDIT, DEAL_TYPE_CHARGE,
  DEAL_TYPE_CORRECTION, DEAL_TYPE_BONUS, DEAL_TYPE_COMMISSION };
enum ENUM_DEAL_ENTRY { DEAL_ENTRY_IN, DEAL_ENTRY_OUT, DEAL_ENTRY_INOUT, DEAL_ENTRY_OUT_BY };
enum ENUM_DEAL_REASON { DEAL_REASON_CLIENT, DEAL_REASON_MOBILE, DEAL_REASON_WEB, DEAL_REASON_EXPERT,
  DEAL_REASON_SL, DEAL_REASON_TP, DEAL_REASON_SO, DEAL_REASON_ROLLOVER, DEAL_REASON_VMARGIN, DEAL_REASON_SPLIT };

enum ENUM_SYMBOL_INFO_INTEGER { SYMBOL_SELECT, SYMBOL_VISIBLE, SYMBOL_TIME, SYMBOL_DIGITS, SYMBOL_SPREAD,
  SYMBOL_TRADE_STOPS_LEVEL, SYMBOL_TRADE_FREEZE_LEVEL, SYMBOL_TRADE_MODE, SYMBOL_TRADE_EXEMODE,
  SYMBOL_EXPIRATION_MODE, SYMBOL_FILLING_MODE, SYMBOL_ORDER_MODE };
enum ENUM_SYMBOL_INFO_DOUBLE { SYMBOL_BID, SYMBOL_ASK, SYMBOL_LAST, SYMBOL_POINT, SYMBOL_TRADE_TICK_VALUE,
  SYMBOL_TRADE_TICK_SIZE, SYMBOL_TRADE_CONTRACT_SIZE, SYMBOL_VOLUME_MIN, SYMBOL_VOLUME_MAX, SYMBOL_VOLUME_STEP };
enum ENUM_SYMBOL_INFO_STRING { SYMBOL_CURRENCY_BASE, SYMBOL_CURRENCY_PROFIT, SYMBOL_CURRENCY_MARGIN,
  SYMBOL_DESCRIPTION, SYMBOL_PATH };
enum ENUM_SYMBOL_TRADE_MODE { SYMBOL_TRADE_MODE_DISABLED, SYMBOL_TRADE_MODE_LONGONLY, SYMBOL_TRADE_MODE_SHORTONLY,
  SYMBOL_TRADE_MODE_CLOSEONLY, SYMBOL_TRADE_MODE_FULL };
enum ENUM_SYMBOL_TRADE_EXECUTION { SYMBOL_TRADE_EXECUTION_REQUEST, SYMBOL_TRADE_EXECUTION_INSTANT,
  SYMBOL_TRADE_EXECUTION_MARKET, SYMBOL_TRADE_EXECUTION_EXCHANGE };
#define SYMBOL_FILLING_FOK 1
#define SYMBOL_FILLING_IOC 2
#define SYMBOL_EXPIRATION_GTC 1
#define SYMBOL_EXPIRATION_DAY 2
#define SYMBOL_EXPIRATION_SPECIFIED 4
#define SYMBOL_EXPIRATION_SPECIFIED_DAY 8

enum ENUM_TERMINAL_INFO_INTEGER { TERMINAL_BUILD, TERMINAL_CONNECTED, TERMINAL_DLLS_ALLOWED,
  TERMINAL_TRADE_ALLOWED, TERMINAL_PING_LAST };
enum ENUM_MQL_INFO_INTEGER { MQL_PROGRAM_TYPE, MQL_DLLS_ALLOWED, MQL_TRADE_ALLOWED, MQL_TESTER };

enum ENUM_TRADE_REQUEST_ACTIONS { TRADE_ACTION_DEAL = 1, TRADE_ACTION_PENDING = 5, TRADE_ACTION_SLTP = 6,
  TRADE_ACTION_MODIFY = 7, TRADE_ACTION_REMOVE = 8, TRADE_ACTION_CLOSE_BY = 10 };
enum ENUM_TRADE_TRANSACTION_TYPE { TRADE_TRANSACTION_ORDER_ADD, TRADE_TRANSACTION_ORDER_UPDATE,
  TRADE_TRANSACTION_ORDER_DELETE, TRADE_TRANSACTION_DEAL_ADD, TRADE_TRANSACTION_DEAL_UPDATE,
  TRADE_TRANSACTION_DEAL_DELETE, TRADE_TRANSACTION_HISTORY_ADD, TRADE_TRANSACTION_HISTORY_UPDATE,
  TRADE_TRANSACTION_HISTORY_DELETE, TRADE_TRANSACTION_POSITION, TRADE_TRANSACTION_REQUEST };

enum ENUM_INIT_RETCODE { INIT_SUCCEEDED = 0, INIT_FAILED = 1, INIT_PARAMETERS_INCORRECT = 2 };

// ------------------------------------------------------------------ structures

struct MqlTick {
  datetime time; double bid; double ask; double last; ulong volume; long time_msc; uint flags; double volume_real;
};
struct MqlTradeRequest {
  ENUM_TRADE_REQUEST_ACTIONS action; ulong magic; ulong order; string symbol; double volume; double price;
  double stoplimit; double sl; double tp; ulong deviation; ENUM_ORDER_TYPE type;
  ENUM_ORDER_TYPE_FILLING type_filling; ENUM_ORDER_TYPE_TIME type_time; datetime expiration; string comment;
  ulong position; ulong position_by;
};
struct MqlTradeResult {
  uint retcode; ulong deal; ulong order; double volume; double price; double bid; double ask; string comment;
  uint request_id; int retcode_external;
};
struct MqlTradeTransaction {
  ulong deal; ulong order; string symbol; ENUM_TRADE_TRANSACTION_TYPE type; ENUM_ORDER_TYPE order_type;
  ENUM_ORDER_STATE order_state; ENUM_DEAL_TYPE deal_type; ENUM_ORDER_TYPE_TIME time_type; datetime time_expiration;
  double price; double price_trigger; double price_sl; double price_tp; double volume; ulong position;
  ulong position_by;
};

// ------------------------------------------------------------------ functions

long AccountInfoInteger(ENUM_ACCOUNT_INFO_INTEGER property);
double AccountInfoDouble(ENUM_ACCOUNT_INFO_DOUBLE property);
string AccountInfoString(ENUM_ACCOUNT_INFO_STRING property);

int PositionsTotal();
ulong PositionGetTicket(int index);
bool PositionSelectByTicket(ulong ticket);
long PositionGetInteger(ENUM_POSITION_PROPERTY_INTEGER property);
double PositionGetDouble(ENUM_POSITION_PROPERTY_DOUBLE property);
string PositionGetString(ENUM_POSITION_PROPERTY_STRING property);

int OrdersTotal();
ulong OrderGetTicket(int index);
bool OrderSelect(ulong ticket);
long OrderGetInteger(ENUM_ORDER_PROPERTY_INTEGER property);
double OrderGetDouble(ENUM_ORDER_PROPERTY_DOUBLE property);
string OrderGetString(ENUM_ORDER_PROPERTY_STRING property);
bool OrderSend(MqlTradeRequest& request, MqlTradeResult& result);

bool HistorySelect(datetime from, datetime to);
int HistoryDealsTotal();
ulong HistoryDealGetTicket(int index);
bool HistoryDealSelect(ulong ticket);
long HistoryDealGetInteger(ulong ticket, ENUM_DEAL_PROPERTY_INTEGER property);
double HistoryDealGetDouble(ulong ticket, ENUM_DEAL_PROPERTY_DOUBLE property);
string HistoryDealGetString(ulong ticket, ENUM_DEAL_PROPERTY_STRING property);
int HistoryOrdersTotal();
ulong HistoryOrderGetTicket(int index);
string HistoryOrderGetString(ulong ticket, ENUM_ORDER_PROPERTY_STRING property);

long SymbolInfoInteger(const string& name, ENUM_SYMBOL_INFO_INTEGER property);
double SymbolInfoDouble(const string& name, ENUM_SYMBOL_INFO_DOUBLE property);
string SymbolInfoString(const string& name, ENUM_SYMBOL_INFO_STRING property);
bool SymbolInfoTick(const string& symbol, MqlTick& tick);
bool SymbolSelect(const string& name, bool select);
bool SymbolExist(const string& name, bool& is_custom);

int TerminalInfoInteger(ENUM_TERMINAL_INFO_INTEGER property);
int MQLInfoInteger(ENUM_MQL_INFO_INTEGER property);

datetime TimeGMT();
datetime TimeLocal();
datetime TimeTradeServer();
ulong GetMicrosecondCount();
long ChartID();
void MathSrand(int seed);
int MathRand();
void Sleep(int milliseconds);
bool EventSetMillisecondTimer(int milliseconds);
void EventKillTimer();

template <typename E>
string EnumToString(E value) { return IntegerToString((long)value); }
inline string EnumToString(ENUM_TRADE_TRANSACTION_TYPE value) {
  static const char* names[] = {"TRADE_TRANSACTION_ORDER_ADD", "TRADE_TRANSACTION_ORDER_UPDATE",
    "TRADE_TRANSACTION_ORDER_DELETE", "TRADE_TRANSACTION_DEAL_ADD", "TRADE_TRANSACTION_DEAL_UPDATE",
    "TRADE_TRANSACTION_DEAL_DELETE", "TRADE_TRANSACTION_HISTORY_ADD", "TRADE_TRANSACTION_HISTORY_UPDATE",
    "TRADE_TRANSACTION_HISTORY_DELETE", "TRADE_TRANSACTION_POSITION", "TRADE_TRANSACTION_REQUEST"};
  return string(names[value]);
}
inline string EnumToString(ENUM_DEAL_REASON value) {
  static const char* names[] = {"DEAL_REASON_CLIENT", "DEAL_REASON_MOBILE", "DEAL_REASON_WEB",
    "DEAL_REASON_EXPERT", "DEAL_REASON_SL", "DEAL_REASON_TP", "DEAL_REASON_SO", "DEAL_REASON_ROLLOVER",
    "DEAL_REASON_VMARGIN", "DEAL_REASON_SPLIT"};
  return string(names[value]);
}
template <typename T>
void ZeroMemory(T& value) { value = T{}; }
template <typename T>
T* GetPointer(T& object) { return &object; }
template <typename... A>
void Print(const A&...) {}

static string _Symbol = "EURUSD";

// ------------------------------------------------------------------ mql-zmq 1.5

#define ZMQ_PUB 1
#define ZMQ_ROUTER 6
#define ZMQ_POLLIN 1

struct PollItem {
  long socket; ulong fd; short events; short revents;
  bool hasInput() const { return (revents & ZMQ_POLLIN) != 0; }
};
struct ZmqMsg {
  ZmqMsg();
  long size();
  void getData(MqlArray<uchar>& data);
  bool more();
};
class Context {
 public:
  Context(string shared = string());
};
class Socket {
 public:
  Socket(const Context& ctx, int type);
  bool valid() const;
  bool bind(string addr);
  bool send(const MqlArray<uchar>& buf, bool nowait = false);
  bool sendMore(const MqlArray<uchar>& buf, bool nowait = false);
  bool recv(ZmqMsg& msg, bool nowait = false);
  void fillPollItem(PollItem& item, short events);
  template <size_t N>
  static int poll(PollItem (&arr)[N], long timeout);
  bool setLinger(int value);
  bool setSendHighWaterMark(int value);
  bool setMaxMessageSize(long value);
};
class Zmq {
 public:
  static string errorMessage(int error = 0);
  static string getVersion();
};
