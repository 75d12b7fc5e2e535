//+------------------------------------------------------------------+
//| RequestFields.mqh - typed, validated reading of request fields    |
//|                                                                  |
//| The rules of fx_protocol/terminal_wire.py: required fields,       |
//| optional (nullable) ones, defaulted ones, patterns and ranges.    |
//| Unknown fields are ignored, as msgspec does. The first problem is |
//| kept with its JSON path ("$.volume") for the ERROR reply.         |
//| One reader per request, marked "schema: <Name>" for tests/mql5.   |
//+------------------------------------------------------------------+
#ifndef FXBRIDGE_REQUEST_FIELDS_MQH
#define FXBRIDGE_REQUEST_FIELDS_MQH

#include "Protocol.mqh"
#include "Json.mqh"

#define TICKET_MAX     LONG_MAX
#define VOLUME_LIMIT   100000.0

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
   //--- record a problem found outside the typed readers ("" = the whole request)
   bool              Reject(const string name,const string message)
     {
      if(m_error=="")
        {
         m_error=message;
         m_field=(name=="") ? "$" : "$."+name;
        }
      return(false);
     }
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
   //--- a string that must be one of the comma-separated choices ("" is a value, not absence)
   bool              Choice(const string name,const ENUM_FIELD_RULE rule,const string choices,string &out)
     {
      out="";
      bool ok=true;
      JsonNode *node=Find(name,rule,ok);
      if(node==NULL)
         return(ok);
      if(node.kind!=JSON_STRING)
         return(Fail(name,"Expected `str`"));
      string options[];
      int n=StringSplit(choices,',',options);
      for(int i=0; i<n; i++)
         if(options[i]==node.text)
           {
            out=node.text;
            return(true);
           }
      return(Fail(name,"Invalid enum value '"+node.text+"'"));
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
//--- one decoded and validated TRADE request
struct TradeCommand
  {
   string            commandId;
   string            action;
   string            symbol;       // "" when absent
   string            orderType;    // "" when absent
   double            volume;       // 0 when absent
   double            price;        // 0 when absent
   bool              hasSl;
   double            sl;
   bool              hasTp;
   double            tp;
   bool              hasTicket;
   ulong             ticket;
   bool              hasMagic;
   long              magic;
   long              deviation;    // points
   long              expirationMsc;
  };

//--- the paging and filters of GET_POSITIONS and GET_ORDERS
struct PageQuery
  {
   string            symbol;   // "" = all
   bool              byMagic;
   long              magic;
   long              offset;
   long              limit;
  };
//+------------------------------------------------------------------+
//| The envelope of every request: an object with a known `type` and  |
//| a valid `requestId`. requestId is set whenever one can be read    |
//| (a string of 1..40 characters), so even a rejected request is     |
//| answered under its own id, as the simulator does; else "?".       |
//+------------------------------------------------------------------+
// schema: TerminalRequest
bool ReadEnvelope(JsonNode *root,RequestFields &f,string &type,string &requestId)
  {
   requestId=UNREADABLE_REQUEST_ID;
   type="";
   if(root.kind!=JSON_OBJECT)
      return(f.Reject("","Expected `object`"));
   JsonNode *idNode=root.Member(FLD_REQUEST_ID);
   if(idNode!=NULL && idNode.kind==JSON_STRING && StringLen(idNode.text)>=1 && StringLen(idNode.text)<=40)
      requestId=idNode.text;
   string checkedId="";
   if(!f.Text(FLD_TYPE,FIELD_REQUIRED,TEXT_ANY,type))
      return(false);
   if(type!=MSG_TRADE && type!=MSG_QUERY_COMMAND && type!=MSG_GET_ACCOUNT && type!=MSG_GET_POSITIONS
      && type!=MSG_GET_ORDERS && type!=MSG_GET_DEALS && type!=MSG_GET_SYMBOLS && type!=MSG_SUBSCRIBE
      && type!=MSG_PING)
      return(f.Reject(FLD_TYPE,"Invalid value '"+type+"'"));
   return(f.Text(FLD_REQUEST_ID,FIELD_REQUIRED,TEXT_REQUEST_ID,checkedId));
  }
//+------------------------------------------------------------------+
// schema: Trade
bool ReadTrade(RequestFields &f,TradeCommand &cmd)
  {
   bool present=false;
   long ticket=0;
   long magic=0;
   cmd.volume=0.0;
   cmd.price=0.0;
   cmd.sl=0.0;
   cmd.tp=0.0;
   cmd.deviation=10;
   cmd.expirationMsc=0;
   f.Text(FLD_COMMAND_ID,FIELD_REQUIRED,TEXT_COMMAND_ID,cmd.commandId);
   f.Choice(FLD_ACTION,FIELD_REQUIRED,
            VAL_OPEN_POSITION+","+VAL_CLOSE_POSITION+","+VAL_MODIFY_POSITION+","+VAL_PLACE_ORDER+","+VAL_CANCEL_ORDER+","+VAL_CLOSE_ALL,
            cmd.action);
   f.Text(FLD_SYMBOL,FIELD_NULLABLE,TEXT_SYMBOL,cmd.symbol);
   f.Choice(FLD_ORDER_TYPE,FIELD_NULLABLE,
            VAL_BUY+","+VAL_SELL+","+VAL_BUY_LIMIT+","+VAL_SELL_LIMIT+","+VAL_BUY_STOP+","+VAL_SELL_STOP,
            cmd.orderType);
   f.Number(FLD_VOLUME,FIELD_NULLABLE,0.0,true,VOLUME_LIMIT,cmd.volume,present);
   f.Number(FLD_PRICE,FIELD_NULLABLE,0.0,true,DBL_MAX,cmd.price,present);
   f.Number(FLD_SL,FIELD_NULLABLE,0.0,false,DBL_MAX,cmd.sl,cmd.hasSl);
   f.Number(FLD_TP,FIELD_NULLABLE,0.0,false,DBL_MAX,cmd.tp,cmd.hasTp);
   f.Integer(FLD_TICKET,FIELD_NULLABLE,0,TICKET_MAX,ticket,cmd.hasTicket);
   f.Integer(FLD_MAGIC,FIELD_NULLABLE,0,TICKET_MAX,magic,cmd.hasMagic);
   f.Integer(FLD_DEVIATION,FIELD_DEFAULTED,0,TICKET_MAX,cmd.deviation,present);
   f.Integer(FLD_EXPIRATION_MSC,FIELD_DEFAULTED,0,TICKET_MAX,cmd.expirationMsc,present);
   cmd.ticket=(ulong)ticket;
   cmd.magic=magic;
   return(f.Ok());
  }
//+------------------------------------------------------------------+
// schema: QueryCommand
bool ReadQueryCommand(RequestFields &f,string &commandId)
  {
   return(f.Text(FLD_COMMAND_ID,FIELD_REQUIRED,TEXT_COMMAND_ID,commandId));
  }
//+------------------------------------------------------------------+
//| GET_ACCOUNT and PING carry nothing beyond the envelope.           |
//+------------------------------------------------------------------+
// schema: GetAccount
bool ReadGetAccount(RequestFields &f)
  {
   return(f.Ok());
  }
//+------------------------------------------------------------------+
// schema: Ping
bool ReadPing(RequestFields &f)
  {
   return(f.Ok());
  }
//+------------------------------------------------------------------+
// schema: GetPositions
bool ReadGetPositions(RequestFields &f,PageQuery &q)
  {
   bool present=false;
   q.magic=0;
   q.offset=0;
   q.limit=DEFAULT_PAGE;
   f.Text(FLD_SYMBOL,FIELD_NULLABLE,TEXT_SYMBOL,q.symbol);
   f.Integer(FLD_MAGIC,FIELD_NULLABLE,LONG_MIN,LONG_MAX,q.magic,q.byMagic);
   f.Integer(FLD_OFFSET,FIELD_DEFAULTED,0,LONG_MAX,q.offset,present);
   f.Integer(FLD_LIMIT,FIELD_DEFAULTED,1,MAX_PAGE,q.limit,present);
   return(f.Ok());
  }
//+------------------------------------------------------------------+
// schema: GetOrders
bool ReadGetOrders(RequestFields &f,PageQuery &q)
  {
   bool present=false;
   q.byMagic=false;
   q.magic=0;
   q.offset=0;
   q.limit=DEFAULT_PAGE;
   f.Text(FLD_SYMBOL,FIELD_NULLABLE,TEXT_SYMBOL,q.symbol);
   f.Integer(FLD_OFFSET,FIELD_DEFAULTED,0,LONG_MAX,q.offset,present);
   f.Integer(FLD_LIMIT,FIELD_DEFAULTED,1,MAX_PAGE,q.limit,present);
   return(f.Ok());
  }
//+------------------------------------------------------------------+
// schema: GetDeals
bool ReadGetDeals(RequestFields &f,long &afterTicket,long &limit)
  {
   bool present=false;
   afterTicket=0;
   limit=DEFAULT_PAGE;
   f.Integer(FLD_AFTER_TICKET,FIELD_DEFAULTED,0,TICKET_MAX,afterTicket,present);
   f.Integer(FLD_LIMIT,FIELD_DEFAULTED,1,MAX_PAGE,limit,present);
   return(f.Ok());
  }
//+------------------------------------------------------------------+
// schema: GetSymbols
bool ReadGetSymbols(RequestFields &f,string &symbols[])
  {
   return(f.SymbolList(FLD_SYMBOLS,symbols));
  }
//+------------------------------------------------------------------+
// schema: Subscribe
bool ReadSubscribe(RequestFields &f,string &symbols[])
  {
   return(f.SymbolList(FLD_SYMBOLS,symbols));
  }
#endif
