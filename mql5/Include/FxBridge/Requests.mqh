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

#define TICKET_MAX     LONG_MAX
#define VOLUME_LIMIT   100000.0
//--- history searched by GET_DEALS: everything up to a day past now
#define DEALS_FROM     0

enum ENUM_FIELD_RULE
  {
   FIELD_REQUIRED=0,   // must be present and not null
   FIELD_NULLABLE=1,   // may be absent or null (Optional in the schema)
   FIELD_DEFAULTED=2   // may be absent (has a default) but not null
  };

enum ENUM_TEXT_PATTERN
  {
   TEXT_ANY=0,
   TEXT_REQUEST_ID=1,   // ^[A-Za-z0-9_.:\-]{1,40}$
   TEXT_COMMAND_ID=2,   // ^[A-Za-z0-9_.\-]{1,31}$
   TEXT_SYMBOL=3        // ^[A-Za-z0-9][A-Za-z0-9._#\-+]{0,31}$
  };

//+------------------------------------------------------------------+
bool IsAlnum(const ushort c)
  {
   return((c>='0' && c<='9') || (c>='A' && c<='Z') || (c>='a' && c<='z'));
  }
//+------------------------------------------------------------------+
bool MatchesPattern(const string value,const ENUM_TEXT_PATTERN pattern)
  {
   int n=StringLen(value);
   if(pattern==TEXT_ANY)
      return(true);
   int maxLength=(pattern==TEXT_REQUEST_ID) ? 40 : (pattern==TEXT_COMMAND_ID) ? 31 : 32;
   if(n<1 || n>maxLength)
      return(false);
   for(int i=0; i<n; i++)
     {
      ushort c=StringGetCharacter(value,i);
      bool ok=IsAlnum(c);
      if(pattern==TEXT_REQUEST_ID)
         ok=ok || c=='_' || c=='.' || c==':' || c=='-';
      if(pattern==TEXT_COMMAND_ID)
         ok=ok || c=='_' || c=='.' || c=='-';
      if(pattern==TEXT_SYMBOL && i>0)
         ok=ok || c=='.' || c=='_' || c=='#' || c=='-' || c=='+';
      if(!ok)
         return(false);
     }
   return(true);
  }
//+------------------------------------------------------------------+
//| Typed access to the members of one request object; the first      |
//| problem is kept with its JSON path.                               |
//+------------------------------------------------------------------+
class RequestFields
  {
private:
   JsonNode         *m_root;
   string            m_error;
   string            m_field;

   bool              Fail(const string name,const string message)
     {
      if(m_error=="")
        {
         m_error=message;
         m_field="$."+name;
        }
      return(false);
     }
   //--- the member, or NULL when absent (or null where allowed); ok=false on a rule violation
   JsonNode         *Find(const string name,const ENUM_FIELD_RULE rule,bool &ok)
     {
      ok=true;
      JsonNode *node=m_root.Member(name);
      if(node==NULL)
        {
         if(rule==FIELD_REQUIRED)
            ok=Fail(name,"Object missing required field `"+name+"`");
         return(NULL);
        }
      if(node.kind==JSON_NULL)
        {
         if(rule!=FIELD_NULLABLE)
            ok=Fail(name,"Expected a value, got `null`");
         return(NULL);
        }
      return(node);
     }

public:
                     RequestFields(JsonNode *root) { m_root=root; m_error=""; m_field=""; }
   bool              Ok()      { return(m_error==""); }
   string            Error()   { return(m_error); }
   string            Field()   { return(m_field); }

   bool              Text(const string name,const ENUM_FIELD_RULE rule,const ENUM_TEXT_PATTERN pattern,string &out)
     {
      out="";
      bool ok=true;
      JsonNode *node=Find(name,rule,ok);
      if(node==NULL)
         return(ok);
      if(node.kind!=JSON_STRING)
         return(Fail(name,"Expected `str`"));
      if(!MatchesPattern(node.text,pattern))
         return(Fail(name,"Expected `str` matching the protocol's pattern"));
      out=node.text;
      return(true);
     }
   //--- a string that must be one of the comma-separated choices
   bool              Choice(const string name,const ENUM_FIELD_RULE rule,const string choices,string &out)
     {
      if(!Text(name,rule,TEXT_ANY,out))
         return(false);
      if(out=="")
         return(true);
      string options[];
      int n=StringSplit(choices,',',options);
      for(int i=0; i<n; i++)
         if(options[i]==out)
            return(true);
      return(Fail(name,"Invalid enum value '"+out+"'"));
     }
   bool              Integer(const string name,const ENUM_FIELD_RULE rule,const long lo,const long hi,long &out,bool &present)
     {
      present=false;
      bool ok=true;
      JsonNode *node=Find(name,rule,ok);
      if(node==NULL)
         return(ok);
      long value=0;
      if(!JsonToLong(node,value))
         return(Fail(name,"Expected `int`"));
      if(value<lo || value>hi)
         return(Fail(name,StringFormat("Expected `int` within %I64d..%I64d",lo,hi)));
      out=value;
      present=true;
      return(true);
     }
   //--- a finite number; lo is exclusive when loExclusive
   bool              Number(const string name,const ENUM_FIELD_RULE rule,const double lo,const bool loExclusive,const double hi,double &out,bool &present)
     {
      present=false;
      bool ok=true;
      JsonNode *node=Find(name,rule,ok);
      if(node==NULL)
         return(ok);
      double value=0.0;
      if(!JsonToDouble(node,value))
         return(Fail(name,"Expected `float`"));
      if((loExclusive && value<=lo) || (!loExclusive && value<lo) || value>hi)
         return(Fail(name,"Expected `float` within the protocol's range"));
      out=value;
      present=true;
      return(true);
     }
   bool              SymbolList(const string name,string &out[])
     {
      ArrayFree(out);
      bool ok=true;
      JsonNode *node=Find(name,FIELD_REQUIRED,ok);
      if(node==NULL)
         return(false);
      if(node.kind!=JSON_ARRAY)
         return(Fail(name,"Expected `array`"));
      int n=node.Count();
      if(n>MAX_SYMBOLS_PER_REQUEST)
         return(Fail(name,StringFormat("Expected `array` of length <= %d",MAX_SYMBOLS_PER_REQUEST)));
      ArrayResize(out,n);
      for(int i=0; i<n; i++)
        {
         JsonNode *item=node.Item(i);
         if(item==NULL || item.kind!=JSON_STRING || !MatchesPattern(item.text,TEXT_SYMBOL))
            return(Fail(name+"["+IntegerToString(i)+"]","Expected `str` matching the symbol pattern"));
         out[i]=item.text;
        }
      return(true);
     }
  };
//+------------------------------------------------------------------+
// schema: TradeReply
void WriteTradeReply(JsonWriter &w,const string requestId,const bool duplicate,const string outcomeJson)
  {
   w.BeginObject();
   w.KeyStr(FLD_TYPE,MSG_TRADE_REPLY);
   w.KeyStr(FLD_REQUEST_ID,requestId);
   w.KeyBool(FLD_DUPLICATE,duplicate);
   w.KeyRaw(FLD_OUTCOME,outcomeJson);
   w.EndObject();
  }
//+------------------------------------------------------------------+
// schema: CommandStatusReply
void WriteCommandStatus(JsonWriter &w,const string requestId,const string commandId,const bool known,const string outcomeJson)
  {
   w.BeginObject();
   w.KeyStr(FLD_TYPE,MSG_COMMAND_STATUS);
   w.KeyStr(FLD_REQUEST_ID,requestId);
   w.KeyStr(FLD_COMMAND_ID,commandId);
   w.KeyBool(FLD_KNOWN,known);
   // absent when unknown, as msgspec omits a None default (the conformance suite compares exactly)
   if(known)
      w.KeyRaw(FLD_OUTCOME,outcomeJson);
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
void WriteStringArray(JsonWriter &w,const string &values[])
  {
   w.BeginArray();
   int n=ArraySize(values);
   for(int i=0; i<n; i++)
      w.Str(values[i]);
   w.EndArray();
  }
//+------------------------------------------------------------------+
// schema: Subscribed
void WriteSubscribed(JsonWriter &w,const string requestId,const string &known[],const string &unknown[])
  {
   w.BeginObject();
   w.KeyStr(FLD_TYPE,MSG_SUBSCRIBED);
   w.KeyStr(FLD_REQUEST_ID,requestId);
   w.Key(FLD_SYMBOLS);
   WriteStringArray(w,known);
   w.Key(FLD_UNKNOWN);
   WriteStringArray(w,unknown);
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

   void              Trade(RequestFields &f,const string requestId,JsonWriter &reply);
   void              QueryCommand(RequestFields &f,const string requestId,JsonWriter &reply);
   void              GetAccount(RequestFields &f,const string requestId,JsonWriter &reply);
   void              GetPositions(RequestFields &f,const string requestId,JsonWriter &reply);
   void              GetOrders(RequestFields &f,const string requestId,JsonWriter &reply);
   void              GetDeals(RequestFields &f,const string requestId,JsonWriter &reply);
   void              GetSymbols(RequestFields &f,const string requestId,JsonWriter &reply);
   void              Subscribe(RequestFields &f,const string requestId,JsonWriter &reply);
   void              Ping(RequestFields &f,const string requestId,JsonWriter &reply);

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
//| One request body in, one reply out.                               |
//+------------------------------------------------------------------+
// schema: TerminalRequest
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
   if(root.kind!=JSON_OBJECT)
     {
      delete root;
      WriteErrorReply(reply,UNREADABLE_REQUEST_ID,ECODE_BAD_REQUEST,"Expected `object`","$");
      return;
     }
   //--- the id to answer with, even when the request is otherwise invalid
   string requestId=UNREADABLE_REQUEST_ID;
   JsonNode *idNode=root.Member(FLD_REQUEST_ID);
   if(idNode!=NULL && idNode.kind==JSON_STRING && StringLen(idNode.text)>=1 && StringLen(idNode.text)<=40)
      requestId=idNode.text;
   RequestFields f(root);
   string type;
   string checkedId;
   if(!f.Text(FLD_TYPE,FIELD_REQUIRED,TEXT_ANY,type) || !f.Text(FLD_REQUEST_ID,FIELD_REQUIRED,TEXT_REQUEST_ID,checkedId))
     {
      BadRequest(reply,requestId,f);
      delete root;
      return;
     }
   if(type==MSG_TRADE)
      Trade(f,requestId,reply);
   else
      if(type==MSG_QUERY_COMMAND)
         QueryCommand(f,requestId,reply);
      else
         if(type==MSG_GET_ACCOUNT)
            GetAccount(f,requestId,reply);
         else
            if(type==MSG_GET_POSITIONS)
               GetPositions(f,requestId,reply);
            else
               if(type==MSG_GET_ORDERS)
                  GetOrders(f,requestId,reply);
               else
                  if(type==MSG_GET_DEALS)
                     GetDeals(f,requestId,reply);
                  else
                     if(type==MSG_GET_SYMBOLS)
                        GetSymbols(f,requestId,reply);
                     else
                        if(type==MSG_SUBSCRIBE)
                           Subscribe(f,requestId,reply);
                        else
                           if(type==MSG_PING)
                              Ping(f,requestId,reply);
                           else
                              WriteErrorReply(reply,requestId,ECODE_BAD_REQUEST,"Invalid value '"+type+"'","$."+FLD_TYPE);
   delete root;
  }
//+------------------------------------------------------------------+
//| TRADE: idempotent by commandId through the ledger. The pending    |
//| record is on disk before OrderSend, the outcome before the reply. |
//+------------------------------------------------------------------+
// schema: Trade
void FxRequests::Trade(RequestFields &f,const string requestId,JsonWriter &reply)
  {
   TradeCommand cmd;
   bool present=false;
   long deviation=10;
   long expiration=0;
   long ticket=0;
   long magic=0;
   f.Text(FLD_COMMAND_ID,FIELD_REQUIRED,TEXT_COMMAND_ID,cmd.commandId);
   f.Choice(FLD_ACTION,FIELD_REQUIRED,
            VAL_OPEN_POSITION+","+VAL_CLOSE_POSITION+","+VAL_MODIFY_POSITION+","+VAL_PLACE_ORDER+","+VAL_CANCEL_ORDER+","+VAL_CLOSE_ALL,
            cmd.action);
   f.Text(FLD_SYMBOL,FIELD_NULLABLE,TEXT_SYMBOL,cmd.symbol);
   f.Choice(FLD_ORDER_TYPE,FIELD_NULLABLE,
            VAL_BUY+","+VAL_SELL+","+VAL_BUY_LIMIT+","+VAL_SELL_LIMIT+","+VAL_BUY_STOP+","+VAL_SELL_STOP,
            cmd.orderType);
   cmd.volume=0.0;
   cmd.price=0.0;
   cmd.sl=0.0;
   cmd.tp=0.0;
   f.Number(FLD_VOLUME,FIELD_NULLABLE,0.0,true,VOLUME_LIMIT,cmd.volume,present);
   f.Number(FLD_PRICE,FIELD_NULLABLE,0.0,true,DBL_MAX,cmd.price,present);
   f.Number(FLD_SL,FIELD_NULLABLE,0.0,false,DBL_MAX,cmd.sl,cmd.hasSl);
   f.Number(FLD_TP,FIELD_NULLABLE,0.0,false,DBL_MAX,cmd.tp,cmd.hasTp);
   f.Integer(FLD_TICKET,FIELD_NULLABLE,0,TICKET_MAX,ticket,cmd.hasTicket);
   f.Integer(FLD_MAGIC,FIELD_NULLABLE,0,TICKET_MAX,magic,cmd.hasMagic);
   f.Integer(FLD_DEVIATION,FIELD_DEFAULTED,0,TICKET_MAX,deviation,present);
   f.Integer(FLD_EXPIRATION_MSC,FIELD_DEFAULTED,0,TICKET_MAX,expiration,present);
   if(!f.Ok())
     {
      BadRequest(reply,requestId,f);
      return;
     }
   cmd.ticket=(ulong)ticket;
   cmd.magic=magic;
   cmd.deviation=deviation;
   cmd.expirationMsc=expiration;

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
// schema: QueryCommand
void FxRequests::QueryCommand(RequestFields &f,const string requestId,JsonWriter &reply)
  {
   string commandId;
   if(!f.Text(FLD_COMMAND_ID,FIELD_REQUIRED,TEXT_COMMAND_ID,commandId))
     {
      BadRequest(reply,requestId,f);
      return;
     }
   string state="";
   string stored="";
   bool known=m_ledger.Lookup(commandId,state,stored);
   if(known && state!=LEDGER_DONE)
      stored=ResolveInterrupted(commandId);
   WriteCommandStatus(reply,requestId,commandId,known,stored);
  }
//+------------------------------------------------------------------+
// schema: GetAccount
void FxRequests::GetAccount(RequestFields &f,const string requestId,JsonWriter &reply)
  {
   WriteAccountInfo(reply,requestId);
  }
//+------------------------------------------------------------------+
// schema: GetPositions
void FxRequests::GetPositions(RequestFields &f,const string requestId,JsonWriter &reply)
  {
   string symbol;
   long magic=0;
   long offset=0;
   long limit=DEFAULT_PAGE;
   bool byMagic=false;
   bool present=false;
   f.Text(FLD_SYMBOL,FIELD_NULLABLE,TEXT_SYMBOL,symbol);
   f.Integer(FLD_MAGIC,FIELD_NULLABLE,LONG_MIN,TICKET_MAX,magic,byMagic);
   f.Integer(FLD_OFFSET,FIELD_DEFAULTED,0,TICKET_MAX,offset,present);
   f.Integer(FLD_LIMIT,FIELD_DEFAULTED,1,MAX_PAGE,limit,present);
   if(!f.Ok())
     {
      BadRequest(reply,requestId,f);
      return;
     }
   WritePositionsList(reply,m_clock,requestId,symbol,byMagic,magic,offset,limit);
  }
//+------------------------------------------------------------------+
// schema: GetOrders
void FxRequests::GetOrders(RequestFields &f,const string requestId,JsonWriter &reply)
  {
   string symbol;
   long offset=0;
   long limit=DEFAULT_PAGE;
   bool present=false;
   f.Text(FLD_SYMBOL,FIELD_NULLABLE,TEXT_SYMBOL,symbol);
   f.Integer(FLD_OFFSET,FIELD_DEFAULTED,0,TICKET_MAX,offset,present);
   f.Integer(FLD_LIMIT,FIELD_DEFAULTED,1,MAX_PAGE,limit,present);
   if(!f.Ok())
     {
      BadRequest(reply,requestId,f);
      return;
     }
   WriteOrdersList(reply,m_clock,requestId,symbol,offset,limit);
  }
//+------------------------------------------------------------------+
// schema: GetDeals
void FxRequests::GetDeals(RequestFields &f,const string requestId,JsonWriter &reply)
  {
   long afterTicket=0;
   long limit=DEFAULT_PAGE;
   bool present=false;
   f.Integer(FLD_AFTER_TICKET,FIELD_DEFAULTED,0,TICKET_MAX,afterTicket,present);
   f.Integer(FLD_LIMIT,FIELD_DEFAULTED,1,MAX_PAGE,limit,present);
   if(!f.Ok())
     {
      BadRequest(reply,requestId,f);
      return;
     }
   WriteDealsList(reply,m_clock,requestId,(ulong)afterTicket,limit);
  }
//+------------------------------------------------------------------+
// schema: GetSymbols
void FxRequests::GetSymbols(RequestFields &f,const string requestId,JsonWriter &reply)
  {
   string symbols[];
   if(!f.SymbolList(FLD_SYMBOLS,symbols))
     {
      BadRequest(reply,requestId,f);
      return;
     }
   WriteSymbolsInfo(reply,requestId,symbols);
  }
//+------------------------------------------------------------------+
// schema: Subscribe
void FxRequests::Subscribe(RequestFields &f,const string requestId,JsonWriter &reply)
  {
   string symbols[];
   if(!f.SymbolList(FLD_SYMBOLS,symbols))
     {
      BadRequest(reply,requestId,f);
      return;
     }
   string known[];
   string unknown[];
   m_events.Subscribe(symbols,known,unknown);
   WriteSubscribed(reply,requestId,known,unknown);
  }
//+------------------------------------------------------------------+
// schema: Ping
void FxRequests::Ping(RequestFields &f,const string requestId,JsonWriter &reply)
  {
   WritePong(reply,m_clock,requestId,m_events.Instance(),m_events.LastTickMsc());
  }
#endif
