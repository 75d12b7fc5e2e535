//+------------------------------------------------------------------+
//| Outcome.mqh - what the terminal did with one command              |
//|                                                                  |
//| TradeResult is filled by Trading.mqh; OutcomeJson turns it into   |
//| the protocol's TradeOutcome object, which the command ledger      |
//| stores verbatim and every TRADE_REPLY / COMMAND_STATUS for that   |
//| command id repeats exactly (docs/protocol.md section Idempotency).|
//+------------------------------------------------------------------+
#ifndef FXBRIDGE_OUTCOME_MQH
#define FXBRIDGE_OUTCOME_MQH

#include "Protocol.mqh"
#include "Retcodes.mqh"
#include "Json.mqh"

//--- one position or order handled by CLOSE_ALL
struct CloseItem
  {
   ulong             ticket;
   uint              retcode;
   ulong             deal;
   double            volume;
   double            price;
  };

//--- what the terminal did with one command (TradeOutcome on the wire)
struct TradeResult
  {
   uint              retcode;
   ulong             order;
   ulong             deal;
   ulong             position;
   double            volume;
   double            price;
   double            bid;
   double            ask;
   string            message;
   long              timeMsc;
   string            symbol;       // for bid/ask; not on the wire
   CloseItem         closed[];
  };

//+------------------------------------------------------------------+
// schema: CloseItem
void WriteCloseItem(JsonWriter &w,const CloseItem &item)
  {
   w.BeginObject();
   w.KeyTicket(FLD_TICKET,item.ticket);
   w.KeyLong(FLD_RETCODE,(long)item.retcode);
   w.KeyTicket(FLD_DEAL,item.deal);
   w.KeyNum(FLD_VOLUME,item.volume,VOLUME_DIGITS);
   w.KeyNum(FLD_PRICE,item.price,PRICE_DIGITS);
   w.EndObject();
  }
//+------------------------------------------------------------------+
//| The outcome as a complete JSON object: stored in the ledger and   |
//| sent in TRADE_REPLY / COMMAND_STATUS exactly as stored.           |
//+------------------------------------------------------------------+
// schema: TradeOutcome
string OutcomeJson(const string commandId,TradeResult &r)
  {
   JsonWriter w;
   w.BeginObject();
   w.KeyStr(FLD_COMMAND_ID,commandId);
   w.KeyLong(FLD_RETCODE,(long)r.retcode);
   w.KeyStr(FLD_RETCODE_NAME,RetcodeName(r.retcode));
   w.KeyBool(FLD_SUCCESS,RetcodeIsSuccess(r.retcode));
   w.KeyTicket(FLD_ORDER,r.order);
   w.KeyTicket(FLD_DEAL,r.deal);
   w.KeyTicket(FLD_POSITION,r.position);
   w.KeyNum(FLD_VOLUME,r.volume,VOLUME_DIGITS);
   w.KeyNum(FLD_PRICE,r.price,PRICE_DIGITS);
   w.KeyNum(FLD_BID,r.bid,PRICE_DIGITS);
   w.KeyNum(FLD_ASK,r.ask,PRICE_DIGITS);
   w.KeyStr(FLD_MESSAGE,r.message);
   w.KeyLong(FLD_TIME_MSC,r.timeMsc);
   w.KeyArray(FLD_CLOSED);
   int n=ArraySize(r.closed);
   for(int i=0; i<n; i++)
      WriteCloseItem(w,r.closed[i]);
   w.EndArray();
   w.EndObject();
   return(w.Text());
  }
//+------------------------------------------------------------------+
void ResetResult(TradeResult &r,const long nowMs)
  {
   r.retcode=0;
   r.order=0;
   r.deal=0;
   r.position=0;
   r.volume=0.0;
   r.price=0.0;
   r.bid=0.0;
   r.ask=0.0;
   r.message="";
   r.timeMsc=nowMs;
   r.symbol="";
   ArrayFree(r.closed);
  }
#endif
