//+------------------------------------------------------------------+
//| Replies.mqh - the replies that need nothing but their arguments   |
//+------------------------------------------------------------------+
#ifndef FXBRIDGE_REPLIES_MQH
#define FXBRIDGE_REPLIES_MQH

#include "Protocol.mqh"
#include "Json.mqh"

//+------------------------------------------------------------------+
// schema: ErrorReply
void WriteErrorReply(JsonWriter &w,const string requestId,const string code,const string message,const string field)
  {
   w.Reset();
   w.BeginObject();
   w.KeyStr(FLD_TYPE,MSG_ERROR);
   w.KeyStr(FLD_REQUEST_ID,requestId);
   w.KeyStr(FLD_CODE,code);
   w.KeyStr(FLD_MESSAGE,message);
   // absent when there is none, as msgspec omits a None default
   if(field!="")
      w.KeyStr(FLD_FIELD,field);
   w.EndObject();
  }
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
#endif
