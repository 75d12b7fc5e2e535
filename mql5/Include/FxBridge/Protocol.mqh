//+------------------------------------------------------------------+
//| Protocol.mqh - names of the executor <-> EA protocol              |
//|                                                                  |
//| Every message type tag, field name and enumerated value of        |
//| docs/schema/terminal-wire.schema.json (generated from             |
//| fx_protocol/terminal_wire.py) appears here exactly once, and the  |
//| reader and writer code uses only these names. tests/mql5 fails    |
//| when the schema gains a name that is missing here or unused by    |
//| the function that handles its message (docs/protocol.md section         |
//| Terminal).                                                       |
//+------------------------------------------------------------------+
#ifndef FXBRIDGE_PROTOCOL_MQH
#define FXBRIDGE_PROTOCOL_MQH

//--- terminal protocol version (fx_protocol.TERMINAL_PROTOCOL_VERSION)
#define FX_PROTOCOL_VERSION 1

//--- size limits, the same as fx_protocol/terminal_wire.py
#define MAX_REQUEST_BYTES  16384
#define MAX_EVENT_BYTES    65536
#define MAX_REPLY_BYTES    4194304
#define DEFAULT_PAGE       200
#define MAX_PAGE           1000
#define MAX_SYMBOLS_PER_REQUEST 200

//--- requests (executor DEALER -> EA ROUTER)
#define MSG_TRADE             "TRADE"
#define MSG_QUERY_COMMAND     "QUERY_COMMAND"
#define MSG_GET_ACCOUNT       "GET_ACCOUNT"
#define MSG_GET_POSITIONS     "GET_POSITIONS"
#define MSG_GET_ORDERS        "GET_ORDERS"
#define MSG_GET_DEALS         "GET_DEALS"
#define MSG_GET_SYMBOLS       "GET_SYMBOLS"
#define MSG_SUBSCRIBE         "SUBSCRIBE"
#define MSG_PING              "PING"

//--- replies (same requestId as the request)
#define MSG_TRADE_REPLY       "TRADE_REPLY"
#define MSG_COMMAND_STATUS    "COMMAND_STATUS"
#define MSG_ACCOUNT_INFO      "ACCOUNT_INFO"
#define MSG_POSITIONS_LIST    "POSITIONS_LIST"
#define MSG_ORDERS_LIST       "ORDERS_LIST"
#define MSG_DEALS_LIST        "DEALS_LIST"
#define MSG_SYMBOLS_INFO      "SYMBOLS_INFO"
#define MSG_SUBSCRIBED        "SUBSCRIBED"
#define MSG_PONG              "PONG"
#define MSG_ERROR             "ERROR"

//--- events (EA PUB -> executor SUB): topic frame, then JSON frame
#define MSG_TICK              "TICK"
#define MSG_TRADE_TRANSACTION "TRADE_TRANSACTION"
#define MSG_ACCOUNT_UPDATE    "ACCOUNT_UPDATE"
#define MSG_HEARTBEAT         "HEARTBEAT"

//--- event topics (fx_protocol.terminal_wire.event_topic)
#define TOPIC_TICK_PREFIX     "tick."
#define TOPIC_TRADE_PREFIX    "trade."
#define TOPIC_ACCOUNT         "account"
#define TOPIC_HEARTBEAT       "heartbeat"

//--- field names (camelCase on the wire)
#define FLD_ACCOUNT                "account"
#define FLD_ACTION                 "action"
#define FLD_AFTER_TICKET           "afterTicket"
#define FLD_ASK                    "ask"
#define FLD_BALANCE                "balance"
#define FLD_BID                    "bid"
#define FLD_CLOSED                 "closed"
#define FLD_CODE                   "code"
#define FLD_COMMAND_ID             "commandId"
#define FLD_COMMENT                "comment"
#define FLD_COMMISSION             "commission"
#define FLD_CONNECTED              "connected"
#define FLD_CONTRACT_SIZE          "contractSize"
#define FLD_CURRENCY               "currency"
#define FLD_CURRENCY_MARGIN        "currencyMargin"
#define FLD_CURRENCY_PROFIT        "currencyProfit"
#define FLD_DEAL                   "deal"
#define FLD_DEALS                  "deals"
#define FLD_DEVIATION              "deviation"
#define FLD_DIGITS                 "digits"
#define FLD_DUPLICATE              "duplicate"
#define FLD_EA_TRADE_ALLOWED       "eaTradeAllowed"
#define FLD_ENTRY                  "entry"
#define FLD_EQUITY                 "equity"
#define FLD_EXPIRATION_MSC         "expirationMsc"
#define FLD_FIELD                  "field"
#define FLD_FILLING_MODES          "fillingModes"
#define FLD_FREE_MARGIN            "freeMargin"
#define FLD_FREEZE_LEVEL           "freezeLevel"
#define FLD_HEALTH                 "health"
#define FLD_INSTANCE               "instance"
#define FLD_KIND                   "kind"
#define FLD_KNOWN                  "known"
#define FLD_LAST                   "last"
#define FLD_LAST_TICK_MSC          "lastTickMsc"
#define FLD_LEVERAGE               "leverage"
#define FLD_LIMIT                  "limit"
#define FLD_LOGIN                  "login"
#define FLD_MAGIC                  "magic"
#define FLD_MARGIN                 "margin"
#define FLD_MARGIN_LEVEL           "marginLevel"
#define FLD_MARGIN_MODE            "marginMode"
#define FLD_MESSAGE                "message"
#define FLD_MORE                   "more"
#define FLD_OFFSET                 "offset"
#define FLD_ORDER                  "order"
#define FLD_ORDER_TYPE             "orderType"
#define FLD_ORDERS                 "orders"
#define FLD_OUTCOME                "outcome"
#define FLD_POINT                  "point"
#define FLD_POSITION               "position"
#define FLD_POSITION_ID            "positionId"
#define FLD_POSITIONS              "positions"
#define FLD_PRICE                  "price"
#define FLD_PRICE_CURRENT          "priceCurrent"
#define FLD_PRICE_OPEN             "priceOpen"
#define FLD_PROFIT                 "profit"
#define FLD_REASON                 "reason"
#define FLD_REQUEST_ID             "requestId"
#define FLD_RETCODE                "retcode"
#define FLD_RETCODE_NAME           "retcodeName"
#define FLD_SEQ                    "seq"
#define FLD_SERVER                 "server"
#define FLD_SIDE                   "side"
#define FLD_SL                     "sl"
#define FLD_STOPS_LEVEL            "stopsLevel"
#define FLD_SUCCESS                "success"
#define FLD_SWAP                   "swap"
#define FLD_SYMBOL                 "symbol"
#define FLD_SYMBOLS                "symbols"
#define FLD_TICKET                 "ticket"
#define FLD_TIME_MSC               "timeMsc"
#define FLD_TIME_SETUP_MSC         "timeSetupMsc"
#define FLD_TOTAL                  "total"
#define FLD_TP                     "tp"
#define FLD_TRADE_ALLOWED          "tradeAllowed"
#define FLD_TRADE_MODE             "tradeMode"
#define FLD_TYPE                   "type"
#define FLD_UNKNOWN                "unknown"
#define FLD_VOLUME                 "volume"
#define FLD_VOLUME_MAX             "volumeMax"
#define FLD_VOLUME_MIN             "volumeMin"
#define FLD_VOLUME_STEP            "volumeStep"

//--- Trade.action (fx_protocol.vocabulary.Action)
#define VAL_OPEN_POSITION     "OPEN_POSITION"
#define VAL_CLOSE_POSITION    "CLOSE_POSITION"
#define VAL_MODIFY_POSITION   "MODIFY_POSITION"
#define VAL_PLACE_ORDER       "PLACE_ORDER"
#define VAL_CANCEL_ORDER      "CANCEL_ORDER"
#define VAL_CLOSE_ALL         "CLOSE_ALL"

//--- order types and sides
#define VAL_BUY               "BUY"
#define VAL_SELL              "SELL"
#define VAL_BUY_LIMIT         "BUY_LIMIT"
#define VAL_SELL_LIMIT        "SELL_LIMIT"
#define VAL_BUY_STOP          "BUY_STOP"
#define VAL_SELL_STOP         "SELL_STOP"
//--- TerminalDeal.side beyond BUY/SELL
#define VAL_BALANCE           "BALANCE"
#define VAL_CREDIT            "CREDIT"
#define VAL_OTHER             "OTHER"

//--- TerminalDeal.entry
#define VAL_IN                "IN"
#define VAL_OUT               "OUT"
#define VAL_INOUT             "INOUT"
#define VAL_OUT_BY            "OUT_BY"

//--- SymbolSpec.tradeMode
#define VAL_FULL              "FULL"
#define VAL_LONGONLY          "LONGONLY"
#define VAL_SHORTONLY         "SHORTONLY"
#define VAL_CLOSEONLY         "CLOSEONLY"
#define VAL_DISABLED          "DISABLED"

//--- TerminalAccount.marginMode
#define VAL_HEDGING           "hedging"
#define VAL_NETTING           "netting"

//--- ErrorReply.code
#define ECODE_BAD_REQUEST      "BAD_REQUEST"
#define ECODE_UNKNOWN_SYMBOL   "UNKNOWN_SYMBOL"
#define ECODE_UNKNOWN_TICKET   "UNKNOWN_TICKET"
#define ECODE_INTERNAL        "INTERNAL"

//--- decimals written for numbers on the wire (trailing zeros are dropped)
#define MONEY_DIGITS  2
#define VOLUME_DIGITS 8
#define PRICE_DIGITS  8

//--- requestId of an ERROR reply to a request whose id could not be read
#define UNREADABLE_REQUEST_ID "?"

#endif
