//+------------------------------------------------------------------+
//| Requests.mqh - decodes, validates and answers each request        |
//|                                                                  |
//| Decoded and validated once, here, with the rules of               |
//| fx_protocol/terminal_wire.py (required fields, patterns, ranges); |
//| unknown fields are ignored, as msgspec does. A request that fails |
//| gets ERROR BAD_REQUEST naming the field ("$.volume"), with its    |
//| requestId when one can be read, else "?" - the same answer the   |
//| simulator gives. One reader and one writer per message, each      |
//| marked "schema: <Name>" for tests/mql5.                           |
//+------------------------------------------------------------------+
#ifndef FXBRIDGE_REQUESTS_MQH
#define FXBRIDGE_REQUESTS_MQH

#include "Protocol.mqh"
#include "Retcodes.mqh"
#include "Json.mqh"
#include "Clock.mqh"
#include "TerminalState.mqh"
#include "Trading.mqh"
#include "CommandLedger.mqh"
#include "Server.mqh"
#include "Events.mqh"
#include "RequestFields.mqh"
#include "Replies.mqh"

//--- history searched by GET_DEALS: everything up to a day past now
#define DEALS_FROM     0

//+------------------------------------------------------------------+
// schema: Pong
void WritePong(JsonWriter &w,FxClock *clock,const string requestId,const string instance,const long lastTickMsc)
  {
   w.BeginObject();
   w.KeyStr(FLD_TYPE,MSG_PONG);
   w.KeyStr(FLD_REQUEST_ID,requestId);
   w.Key(FLD_HEALTH);
   WriteHealth(w,clock,instance,lastTickMsc);
   w.EndObject();
  }
//+------------------------------------------------------------------+
// schema: AccountInfo
void WriteAccountInfo(JsonWriter &w,const string requestId)
  {
   w.BeginObject();
   w.KeyStr(FLD_TYPE,MSG_ACCOUNT_INFO);
   w.KeyStr(FLD_REQUEST_ID,requestId);
   w.Key(FLD_ACCOUNT);
   WriteAccount(w);
   w.EndObject();
  }
//+------------------------------------------------------------------+
// schema: SymbolsInfo
void WriteSymbolsInfo(JsonWriter &w,const string requestId,const string &requested[])
  {
   string unknown[];
   w.BeginObject();
   w.KeyStr(FLD_TYPE,MSG_SYMBOLS_INFO);
   w.KeyStr(FLD_REQUEST_ID,requestId);
   w.KeyArray(FLD_SYMBOLS);
   int n=ArraySize(requested);
   for(int i=0; i<n; i++)
     {
      bool custom=false;
      if(!SymbolExist(requested[i],custom))
        {
         int u=ArraySize(unknown);
         ArrayResize(unknown,u+1);
         unknown[u]=requested[i];
         continue;
        }
      SymbolSelect(requested[i],true);
      WriteSymbolSpec(w,requested[i]);
     }
   w.EndArray();
   w.Key(FLD_UNKNOWN);
   WriteStringArray(w,unknown);
   w.EndObject();
  }
//+------------------------------------------------------------------+
// schema: PositionsList
void WritePositionsList(JsonWriter &w,FxClock *clock,const string requestId,const string symbol,
                        const bool byMagic,const long magic,const long offset,const long limit)
  {
   //--- the selected tickets in ticket order, so pages are stable
   ulong tickets[];
   int total=PositionsTotal();
   for(int i=0; i<total; i++)
     {
      ulong ticket=PositionGetTicket(i);
      if(ticket==0)
         continue;
      if(symbol!="" && PositionGetString(POSITION_SYMBOL)!=symbol)
         continue;
      if(byMagic && PositionGetInteger(POSITION_MAGIC)!=magic)
         continue;
      int n=ArraySize(tickets);
      ArrayResize(tickets,n+1,64);
      tickets[n]=ticket;
     }
   ArraySort(tickets);
   int count=ArraySize(tickets);
   w.BeginObject();
   w.KeyStr(FLD_TYPE,MSG_POSITIONS_LIST);
   w.KeyStr(FLD_REQUEST_ID,requestId);
   w.KeyLong(FLD_TOTAL,count);
   w.KeyArray(FLD_POSITIONS);
   // offset may be anything up to 2^63-1: compare before adding
   for(long k=offset; k<count && k-offset<limit; k++)
      if(PositionSelectByTicket(tickets[(int)k]))
         WriteSelectedPosition(w,clock);
   w.EndArray();
   w.EndObject();
  }
//+------------------------------------------------------------------+
// schema: OrdersList
void WriteOrdersList(JsonWriter &w,FxClock *clock,const string requestId,const string symbol,
                     const long offset,const long limit)
  {
   ulong tickets[];
   int total=OrdersTotal();
   for(int i=0; i<total; i++)
     {
      ulong ticket=OrderGetTicket(i);
      if(ticket==0 || PendingTypeName(OrderGetInteger(ORDER_TYPE))=="")
         continue;
      if(symbol!="" && OrderGetString(ORDER_SYMBOL)!=symbol)
         continue;
      int n=ArraySize(tickets);
      ArrayResize(tickets,n+1,64);
      tickets[n]=ticket;
     }
   ArraySort(tickets);
   int count=ArraySize(tickets);
   w.BeginObject();
   w.KeyStr(FLD_TYPE,MSG_ORDERS_LIST);
   w.KeyStr(FLD_REQUEST_ID,requestId);
   w.KeyLong(FLD_TOTAL,count);
   w.KeyArray(FLD_ORDERS);
   for(long k=offset; k<count && k-offset<limit; k++)
      if(OrderSelect(tickets[(int)k]))
         WriteSelectedOrder(w,clock);
   w.EndArray();
   w.EndObject();
  }
//+------------------------------------------------------------------+
//| Deals with a ticket above afterTicket, oldest (lowest) first.     |
//| HistorySelect over the whole account history: simple and exact;   |
//| on accounts with a very long history it costs some milliseconds.  |
//+------------------------------------------------------------------+
// schema: DealsList
void WriteDealsList(JsonWriter &w,FxClock *clock,const string requestId,const ulong afterTicket,const long limit)
  {
   ulong tickets[];
   if(HistorySelect(DEALS_FROM,TimeTradeServer()+86400))
     {
      int total=HistoryDealsTotal();
      for(int i=0; i<total; i++)
        {
         ulong ticket=HistoryDealGetTicket(i);
         if(ticket==0 || ticket<=afterTicket)
            continue;
         int n=ArraySize(tickets);
         ArrayResize(tickets,n+1,256);
         tickets[n]=ticket;
        }
     }
   ArraySort(tickets);
   int count=ArraySize(tickets);
   w.BeginObject();
   w.KeyStr(FLD_TYPE,MSG_DEALS_LIST);
   w.KeyStr(FLD_REQUEST_ID,requestId);
   w.KeyArray(FLD_DEALS);
   for(int k=0; k<count && k<limit; k++)
      WriteDeal(w,clock,tickets[k]);
   w.EndArray();
   w.KeyBool(FLD_MORE,count>limit);
   w.EndObject();
  }
//+------------------------------------------------------------------+
class FxRequests : public RequestSink
  {
private:
   FxTrading        *m_trading;
   CommandLedger    *m_ledger;
   FxEvents         *m_events;
   FxClock          *m_clock;

   void              BadRequest(JsonWriter &reply,const string requestId,RequestFields &f)
     {
      WriteErrorReply(reply,requestId,ECODE_BAD_REQUEST,f.Error(),f.Field());
     }
   //--- the outcome stored for a command the ledger holds as pending only
   string            ResolveInterrupted(const string commandId)
     {
      TradeResult result;
      m_trading.RecoverInterrupted(commandId,result);
      string outcome=OutcomeJson(commandId,result);
      if(!m_ledger.Complete(commandId,outcome))
         PrintFormat("FxBridgeEA: CANNOT RECORD the recovered outcome of %s: %s",commandId,m_ledger.Error());
      return(outcome);
     }
   void              Trade(const TradeCommand &cmd,const string requestId,JsonWriter &reply);
   void              QueryCommand(const string commandId,const string requestId,JsonWriter &reply);

public:
                     FxRequests() { m_trading=NULL; m_ledger=NULL; m_events=NULL; m_clock=NULL; }
   void              Configure(FxTrading *trading,CommandLedger *ledger,FxEvents *events,FxClock *clock)
     {
      m_trading=trading;
      m_ledger=ledger;
      m_events=events;
      m_clock=clock;
     }
   virtual void      Handle(const string body,JsonWriter &reply);
  };
//+------------------------------------------------------------------+
//| One request body in, one reply out: decode and validate with the  |
//| readers of RequestFields.mqh, then answer.                        |
//+------------------------------------------------------------------+
void FxRequests::Handle(const string body,JsonWriter &reply)
  {
   reply.Reset();
   JsonParser parser;
   JsonNode *root=parser.Parse(body);
   if(root==NULL)
     {
      WriteErrorReply(reply,UNREADABLE_REQUEST_ID,ECODE_BAD_REQUEST,"malformed JSON: "+parser.Error(),"");
      return;
     }
   string type="";
   string requestId=UNREADABLE_REQUEST_ID;
   RequestFields f(root);
   if(!ReadEnvelope(root,f,type,requestId))
     {
      BadRequest(reply,requestId,f);
      delete root;
      return;
     }
   if(type==MSG_TRADE)
     {
      TradeCommand cmd;
      if(ReadTrade(f,cmd))
         Trade(cmd,requestId,reply);
     }
   else
      if(type==MSG_QUERY_COMMAND)
        {
         string commandId="";
         if(ReadQueryCommand(f,commandId))
            QueryCommand(commandId,requestId,reply);
        }
      else
         if(type==MSG_GET_ACCOUNT)
           {
            if(ReadGetAccount(f))
               WriteAccountInfo(reply,requestId);
           }
         else
            if(type==MSG_GET_POSITIONS)
              {
               PageQuery q;
               if(ReadGetPositions(f,q))
                  WritePositionsList(reply,m_clock,requestId,q.symbol,q.byMagic,q.magic,q.offset,q.limit);
              }
            else
               if(type==MSG_GET_ORDERS)
                 {
                  PageQuery q;
                  if(ReadGetOrders(f,q))
                     WriteOrdersList(reply,m_clock,requestId,q.symbol,q.offset,q.limit);
                 }
               else
                  if(type==MSG_GET_DEALS)
                    {
                     long afterTicket=0;
                     long limit=DEFAULT_PAGE;
                     if(ReadGetDeals(f,afterTicket,limit))
                        WriteDealsList(reply,m_clock,requestId,(ulong)afterTicket,limit);
                    }
                  else
                     if(type==MSG_GET_SYMBOLS)
                       {
                        string symbols[];
                        if(ReadGetSymbols(f,symbols))
                           WriteSymbolsInfo(reply,requestId,symbols);
                       }
                     else
                        if(type==MSG_SUBSCRIBE)
                          {
                           string symbols[];
                           string known[];
                           string unknown[];
                           if(ReadSubscribe(f,symbols))
                             {
                              m_events.Subscribe(symbols,known,unknown);
                              WriteSubscribed(reply,requestId,known,unknown);
                             }
                          }
                        else
                           if(type==MSG_PING)
                             {
                              if(ReadPing(f))
                                 WritePong(reply,m_clock,requestId,m_events.Instance(),m_events.LastTickMsc());
                             }
   if(!f.Ok())
      BadRequest(reply,requestId,f);
   delete root;
  }
//+------------------------------------------------------------------+
//| TRADE: idempotent by commandId through the ledger. The pending    |
//| record is on disk before OrderSend, the outcome before the reply. |
//+------------------------------------------------------------------+
void FxRequests::Trade(const TradeCommand &cmd,const string requestId,JsonWriter &reply)
  {
   string state="";
   string stored="";
   if(m_ledger.Lookup(cmd.commandId,state,stored))
     {
      // processed before: the first outcome, never a second trade
      if(state!=LEDGER_DONE)
         stored=ResolveInterrupted(cmd.commandId);
      WriteTradeReply(reply,requestId,true,stored);
      return;
     }
   TradeResult result;
   if(!m_ledger.Begin(cmd.commandId))
     {
      // without the record a resend could not be recognised: do not trade
      ResetResult(result,m_clock.NowMs());
      result.retcode=RC_ERROR;
      result.message="the EA cannot write its command ledger ("+m_ledger.Error()+"); not trading";
      result.symbol=cmd.symbol;
      WriteTradeReply(reply,requestId,false,OutcomeJson(cmd.commandId,result));
      return;
     }
   m_trading.Execute(cmd,result);
   string outcome=OutcomeJson(cmd.commandId,result);
   if(!m_ledger.Complete(cmd.commandId,outcome))
      PrintFormat("FxBridgeEA: CANNOT RECORD the outcome of %s: %s",cmd.commandId,m_ledger.Error());
   WriteTradeReply(reply,requestId,false,outcome);
  }
//+------------------------------------------------------------------+
//| QUERY_COMMAND: the ledger's record, never a trade.                |
//+------------------------------------------------------------------+
void FxRequests::QueryCommand(const string commandId,const string requestId,JsonWriter &reply)
  {
   string state="";
   string stored="";
   bool known=m_ledger.Lookup(commandId,state,stored);
   if(known && state!=LEDGER_DONE)
      stored=ResolveInterrupted(commandId);
   WriteCommandStatus(reply,requestId,commandId,known,stored);
  }
#endif
