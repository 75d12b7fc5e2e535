//+------------------------------------------------------------------+
//| Retcodes.mqh - MT5 trade server return codes and their classes    |
//|                                                                  |
//| Mirrors fx_protocol/retcodes.py (docs/protocol.md section        |
//| Retcodes); tests/mql5 fails when the two differ. The values are  |
//| defined here rather than taken from TRADE_RETCODE_* so the EA    |
//| compiles on terminal builds that predate the newest codes.       |
//|                                                                  |
//| SUCCESS   the request was carried out (fully or partly)          |
//| RETRYABLE nothing happened; the same request may succeed later   |
//| FINAL     nothing happened; repeating it will not help           |
//| The EA never retries on its own: a retry is a new trading        |
//| decision, taken by the brain's strategy with a new command id.   |
//+------------------------------------------------------------------+
#ifndef FXBRIDGE_RETCODES_MQH
#define FXBRIDGE_RETCODES_MQH

#define RC_REQUOTE                10004   // TRADE_RETCODE_REQUOTE
#define RC_REJECT                 10006   // TRADE_RETCODE_REJECT
#define RC_CANCEL                 10007   // TRADE_RETCODE_CANCEL
#define RC_PLACED                 10008   // TRADE_RETCODE_PLACED
#define RC_DONE                   10009   // TRADE_RETCODE_DONE
#define RC_DONE_PARTIAL           10010   // TRADE_RETCODE_DONE_PARTIAL
#define RC_ERROR                  10011   // TRADE_RETCODE_ERROR
#define RC_TIMEOUT                10012   // TRADE_RETCODE_TIMEOUT
#define RC_INVALID                10013   // TRADE_RETCODE_INVALID
#define RC_INVALID_VOLUME         10014   // TRADE_RETCODE_INVALID_VOLUME
#define RC_INVALID_PRICE          10015   // TRADE_RETCODE_INVALID_PRICE
#define RC_INVALID_STOPS          10016   // TRADE_RETCODE_INVALID_STOPS
#define RC_TRADE_DISABLED         10017   // TRADE_RETCODE_TRADE_DISABLED
#define RC_MARKET_CLOSED          10018   // TRADE_RETCODE_MARKET_CLOSED
#define RC_NO_MONEY               10019   // TRADE_RETCODE_NO_MONEY
#define RC_PRICE_CHANGED          10020   // TRADE_RETCODE_PRICE_CHANGED
#define RC_PRICE_OFF              10021   // TRADE_RETCODE_PRICE_OFF
#define RC_INVALID_EXPIRATION     10022   // TRADE_RETCODE_INVALID_EXPIRATION
#define RC_ORDER_CHANGED          10023   // TRADE_RETCODE_ORDER_CHANGED
#define RC_TOO_MANY_REQUESTS      10024   // TRADE_RETCODE_TOO_MANY_REQUESTS
#define RC_NO_CHANGES             10025   // TRADE_RETCODE_NO_CHANGES
#define RC_SERVER_DISABLES_AT     10026   // TRADE_RETCODE_SERVER_DISABLES_AT
#define RC_CLIENT_DISABLES_AT     10027   // TRADE_RETCODE_CLIENT_DISABLES_AT
#define RC_LOCKED                 10028   // TRADE_RETCODE_LOCKED
#define RC_FROZEN                 10029   // TRADE_RETCODE_FROZEN
#define RC_INVALID_FILL           10030   // TRADE_RETCODE_INVALID_FILL
#define RC_CONNECTION             10031   // TRADE_RETCODE_CONNECTION
#define RC_ONLY_REAL              10032   // TRADE_RETCODE_ONLY_REAL
#define RC_LIMIT_ORDERS           10033   // TRADE_RETCODE_LIMIT_ORDERS
#define RC_LIMIT_VOLUME           10034   // TRADE_RETCODE_LIMIT_VOLUME
#define RC_INVALID_ORDER          10035   // TRADE_RETCODE_INVALID_ORDER
#define RC_POSITION_CLOSED        10036   // TRADE_RETCODE_POSITION_CLOSED
#define RC_INVALID_CLOSE_VOLUME   10038   // TRADE_RETCODE_INVALID_CLOSE_VOLUME
#define RC_CLOSE_ORDER_EXIST      10039   // TRADE_RETCODE_CLOSE_ORDER_EXIST
#define RC_LIMIT_POSITIONS        10040   // TRADE_RETCODE_LIMIT_POSITIONS
#define RC_REJECT_CANCEL          10041   // TRADE_RETCODE_REJECT_CANCEL
#define RC_LONG_ONLY              10042   // TRADE_RETCODE_LONG_ONLY
#define RC_SHORT_ONLY             10043   // TRADE_RETCODE_SHORT_ONLY
#define RC_CLOSE_ONLY             10044   // TRADE_RETCODE_CLOSE_ONLY
#define RC_FIFO_CLOSE             10045   // TRADE_RETCODE_FIFO_CLOSE
#define RC_HEDGE_PROHIBITED       10046   // TRADE_RETCODE_HEDGE_PROHIBITED

enum ENUM_RETCODE_CLASS
  {
   RETCODE_SUCCESS=0,
   RETCODE_RETRYABLE=1,
   RETCODE_FINAL=2
  };
//+------------------------------------------------------------------+
//| The class of a retcode. A code MT5 adds later is FINAL: nothing   |
//| is known to have happened, and a blind repeat is never safe.     |
//+------------------------------------------------------------------+
ENUM_RETCODE_CLASS RetcodeClass(const uint code)
  {
   switch(code)
     {
      case RC_REQUOTE:                return(RETCODE_RETRYABLE);
      case RC_REJECT:                 return(RETCODE_FINAL);
      case RC_CANCEL:                 return(RETCODE_FINAL);
      case RC_PLACED:                 return(RETCODE_SUCCESS);
      case RC_DONE:                   return(RETCODE_SUCCESS);
      case RC_DONE_PARTIAL:           return(RETCODE_SUCCESS);
      case RC_ERROR:                  return(RETCODE_FINAL);
      case RC_TIMEOUT:                return(RETCODE_RETRYABLE);
      case RC_INVALID:                return(RETCODE_FINAL);
      case RC_INVALID_VOLUME:         return(RETCODE_FINAL);
      case RC_INVALID_PRICE:          return(RETCODE_FINAL);
      case RC_INVALID_STOPS:          return(RETCODE_FINAL);
      case RC_TRADE_DISABLED:         return(RETCODE_FINAL);
      case RC_MARKET_CLOSED:          return(RETCODE_FINAL);
      case RC_NO_MONEY:               return(RETCODE_FINAL);
      case RC_PRICE_CHANGED:          return(RETCODE_RETRYABLE);
      case RC_PRICE_OFF:              return(RETCODE_RETRYABLE);
      case RC_INVALID_EXPIRATION:     return(RETCODE_FINAL);
      case RC_ORDER_CHANGED:          return(RETCODE_RETRYABLE);
      case RC_TOO_MANY_REQUESTS:      return(RETCODE_RETRYABLE);
      case RC_NO_CHANGES:             return(RETCODE_SUCCESS);
      case RC_SERVER_DISABLES_AT:     return(RETCODE_FINAL);
      case RC_CLIENT_DISABLES_AT:     return(RETCODE_FINAL);
      case RC_LOCKED:                 return(RETCODE_RETRYABLE);
      case RC_FROZEN:                 return(RETCODE_RETRYABLE);
      case RC_INVALID_FILL:           return(RETCODE_FINAL);
      case RC_CONNECTION:             return(RETCODE_RETRYABLE);
      case RC_ONLY_REAL:              return(RETCODE_FINAL);
      case RC_LIMIT_ORDERS:           return(RETCODE_FINAL);
      case RC_LIMIT_VOLUME:           return(RETCODE_FINAL);
      case RC_INVALID_ORDER:          return(RETCODE_FINAL);
      case RC_POSITION_CLOSED:        return(RETCODE_FINAL);
      case RC_INVALID_CLOSE_VOLUME:   return(RETCODE_FINAL);
      case RC_CLOSE_ORDER_EXIST:      return(RETCODE_FINAL);
      case RC_LIMIT_POSITIONS:        return(RETCODE_FINAL);
      case RC_REJECT_CANCEL:          return(RETCODE_FINAL);
      case RC_LONG_ONLY:              return(RETCODE_FINAL);
      case RC_SHORT_ONLY:             return(RETCODE_FINAL);
      case RC_CLOSE_ONLY:             return(RETCODE_FINAL);
      case RC_FIFO_CLOSE:             return(RETCODE_FINAL);
      case RC_HEDGE_PROHIBITED:       return(RETCODE_FINAL);
     }
   return(RETCODE_FINAL);
  }
//+------------------------------------------------------------------+
//| Whether the trade server carried out the request                  |
//+------------------------------------------------------------------+
bool RetcodeIsSuccess(const uint code)
  {
   return(RetcodeClass(code)==RETCODE_SUCCESS);
  }
//+------------------------------------------------------------------+
//| Short name, as fx_protocol.retcodes.retcode_name: "DONE",         |
//| "INVALID_STOPS", or "UNKNOWN_<code>" for a code not listed.      |
//+------------------------------------------------------------------+
string RetcodeName(const uint code)
  {
   switch(code)
     {
      case RC_REQUOTE:                return("REQUOTE");
      case RC_REJECT:                 return("REJECT");
      case RC_CANCEL:                 return("CANCEL");
      case RC_PLACED:                 return("PLACED");
      case RC_DONE:                   return("DONE");
      case RC_DONE_PARTIAL:           return("DONE_PARTIAL");
      case RC_ERROR:                  return("ERROR");
      case RC_TIMEOUT:                return("TIMEOUT");
      case RC_INVALID:                return("INVALID");
      case RC_INVALID_VOLUME:         return("INVALID_VOLUME");
      case RC_INVALID_PRICE:          return("INVALID_PRICE");
      case RC_INVALID_STOPS:          return("INVALID_STOPS");
      case RC_TRADE_DISABLED:         return("TRADE_DISABLED");
      case RC_MARKET_CLOSED:          return("MARKET_CLOSED");
      case RC_NO_MONEY:               return("NO_MONEY");
      case RC_PRICE_CHANGED:          return("PRICE_CHANGED");
      case RC_PRICE_OFF:              return("PRICE_OFF");
      case RC_INVALID_EXPIRATION:     return("INVALID_EXPIRATION");
      case RC_ORDER_CHANGED:          return("ORDER_CHANGED");
      case RC_TOO_MANY_REQUESTS:      return("TOO_MANY_REQUESTS");
      case RC_NO_CHANGES:             return("NO_CHANGES");
      case RC_SERVER_DISABLES_AT:     return("SERVER_DISABLES_AT");
      case RC_CLIENT_DISABLES_AT:     return("CLIENT_DISABLES_AT");
      case RC_LOCKED:                 return("LOCKED");
      case RC_FROZEN:                 return("FROZEN");
      case RC_INVALID_FILL:           return("INVALID_FILL");
      case RC_CONNECTION:             return("CONNECTION");
      case RC_ONLY_REAL:              return("ONLY_REAL");
      case RC_LIMIT_ORDERS:           return("LIMIT_ORDERS");
      case RC_LIMIT_VOLUME:           return("LIMIT_VOLUME");
      case RC_INVALID_ORDER:          return("INVALID_ORDER");
      case RC_POSITION_CLOSED:        return("POSITION_CLOSED");
      case RC_INVALID_CLOSE_VOLUME:   return("INVALID_CLOSE_VOLUME");
      case RC_CLOSE_ORDER_EXIST:      return("CLOSE_ORDER_EXIST");
      case RC_LIMIT_POSITIONS:        return("LIMIT_POSITIONS");
      case RC_REJECT_CANCEL:          return("REJECT_CANCEL");
      case RC_LONG_ONLY:              return("LONG_ONLY");
      case RC_SHORT_ONLY:             return("SHORT_ONLY");
      case RC_CLOSE_ONLY:             return("CLOSE_ONLY");
      case RC_FIFO_CLOSE:             return("FIFO_CLOSE");
      case RC_HEDGE_PROHIBITED:       return("HEDGE_PROHIBITED");
     }
   return("UNKNOWN_"+IntegerToString((long)code));
  }
#endif
