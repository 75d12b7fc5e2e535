//+------------------------------------------------------------------+
//| TerminalState.mqh - the terminal's state as protocol bodies       |
//|                                                                  |
//| One writer per body of fx_protocol/terminal_wire.py: account,     |
//| position, order, deal, symbol spec, health. Each is marked with   |
//| "schema: <Name>" so tests/mql5 can check that it writes every     |
//| field of that body. Times are UTC epoch ms (see Clock.mqh).       |
//+------------------------------------------------------------------+
#ifndef FXBRIDGE_TERMINAL_STATE_MQH
#define FXBRIDGE_TERMINAL_STATE_MQH

#include "Protocol.mqh"
#include "Json.mqh"
#include "Clock.mqh"

//+------------------------------------------------------------------+
//| ENUM_ACCOUNT_MARGIN_MODE as the protocol's two words: only retail |
//| hedging keeps several positions per symbol.                      |
//+------------------------------------------------------------------+
// schema-enum: TerminalAccount.marginMode
string MarginModeName()
  {
   if(AccountInfoInteger(ACCOUNT_MARGIN_MODE)==ACCOUNT_MARGIN_MODE_RETAIL_HEDGING)
      return(VAL_HEDGING);
   return(VAL_NETTING);
  }
//+------------------------------------------------------------------+
bool AccountIsHedging()
  {
   return(MarginModeName()==VAL_HEDGING);
  }
//+------------------------------------------------------------------+
// schema: TerminalAccount
void WriteAccount(JsonWriter &w)
  {
   w.BeginObject();
   w.KeyLong(FLD_LOGIN,AccountInfoInteger(ACCOUNT_LOGIN));
   w.KeyStr(FLD_SERVER,AccountInfoString(ACCOUNT_SERVER));
   w.KeyStr(FLD_CURRENCY,AccountInfoString(ACCOUNT_CURRENCY));
   w.KeyNum(FLD_BALANCE,AccountInfoDouble(ACCOUNT_BALANCE),MONEY_DIGITS);
   w.KeyNum(FLD_EQUITY,AccountInfoDouble(ACCOUNT_EQUITY),MONEY_DIGITS);
   w.KeyNum(FLD_MARGIN,AccountInfoDouble(ACCOUNT_MARGIN),MONEY_DIGITS);
   w.KeyNum(FLD_FREE_MARGIN,AccountInfoDouble(ACCOUNT_MARGIN_FREE),MONEY_DIGITS);
   w.KeyNum(FLD_MARGIN_LEVEL,AccountInfoDouble(ACCOUNT_MARGIN_LEVEL),MONEY_DIGITS);
   w.KeyLong(FLD_LEVERAGE,AccountInfoInteger(ACCOUNT_LEVERAGE));
   w.KeyNum(FLD_PROFIT,AccountInfoDouble(ACCOUNT_PROFIT),MONEY_DIGITS);
   w.KeyStr(FLD_MARGIN_MODE,MarginModeName());
   // the broker's permission for the account and for experts on it
   w.KeyBool(FLD_TRADE_ALLOWED,AccountInfoInteger(ACCOUNT_TRADE_ALLOWED)!=0
             && AccountInfoInteger(ACCOUNT_TRADE_EXPERT)!=0);
   w.EndObject();
  }
//+------------------------------------------------------------------+
// schema-enum: TerminalPosition.side
string PositionSideName(const long positionType)
  {
   if(positionType==POSITION_TYPE_BUY)
      return(VAL_BUY);
   return(VAL_SELL);
  }
//+------------------------------------------------------------------+
//| The position selected by PositionGetTicket/PositionSelectByTicket |
//+------------------------------------------------------------------+
// schema: TerminalPosition
void WriteSelectedPosition(JsonWriter &w,FxClock *clock)
  {
   w.BeginObject();
   w.KeyTicket(FLD_TICKET,(ulong)PositionGetInteger(POSITION_TICKET));
   w.KeyStr(FLD_SYMBOL,PositionGetString(POSITION_SYMBOL));
   w.KeyStr(FLD_SIDE,PositionSideName(PositionGetInteger(POSITION_TYPE)));
   w.KeyNum(FLD_VOLUME,PositionGetDouble(POSITION_VOLUME),VOLUME_DIGITS);
   w.KeyNum(FLD_PRICE_OPEN,PositionGetDouble(POSITION_PRICE_OPEN),PRICE_DIGITS);
   w.KeyNum(FLD_PRICE_CURRENT,PositionGetDouble(POSITION_PRICE_CURRENT),PRICE_DIGITS);
   w.KeyNum(FLD_SL,PositionGetDouble(POSITION_SL),PRICE_DIGITS);
   w.KeyNum(FLD_TP,PositionGetDouble(POSITION_TP),PRICE_DIGITS);
   w.KeyNum(FLD_PROFIT,PositionGetDouble(POSITION_PROFIT),MONEY_DIGITS);
   w.KeyNum(FLD_SWAP,PositionGetDouble(POSITION_SWAP),MONEY_DIGITS);
   w.KeyLong(FLD_MAGIC,PositionGetInteger(POSITION_MAGIC));
   w.KeyStr(FLD_COMMENT,PositionGetString(POSITION_COMMENT));
   w.KeyLong(FLD_TIME_MSC,clock.ServerMsToUtcMs(PositionGetInteger(POSITION_TIME_MSC)));
   w.EndObject();
  }
//+------------------------------------------------------------------+
//| The protocol name of a pending order type; "" for the types the  |
//| protocol does not carry (market orders in flight, stop-limits).  |
//+------------------------------------------------------------------+
// schema-enum: TerminalOrder.orderType
string PendingTypeName(const long orderType)
  {
   if(orderType==ORDER_TYPE_BUY_LIMIT)
      return(VAL_BUY_LIMIT);
   if(orderType==ORDER_TYPE_SELL_LIMIT)
      return(VAL_SELL_LIMIT);
   if(orderType==ORDER_TYPE_BUY_STOP)
      return(VAL_BUY_STOP);
   if(orderType==ORDER_TYPE_SELL_STOP)
      return(VAL_SELL_STOP);
   return("");
  }
//+------------------------------------------------------------------+
//| The order selected by OrderGetTicket/OrderSelect                  |
//+------------------------------------------------------------------+
// schema: TerminalOrder
void WriteSelectedOrder(JsonWriter &w,FxClock *clock)
  {
   long typeTime=OrderGetInteger(ORDER_TYPE_TIME);
   long expiration=0;
   if(typeTime==ORDER_TIME_SPECIFIED || typeTime==ORDER_TIME_SPECIFIED_DAY)
      expiration=clock.ServerTimeToUtcMs((datetime)OrderGetInteger(ORDER_TIME_EXPIRATION));
   w.BeginObject();
   w.KeyTicket(FLD_TICKET,(ulong)OrderGetInteger(ORDER_TICKET));
   w.KeyStr(FLD_SYMBOL,OrderGetString(ORDER_SYMBOL));
   w.KeyStr(FLD_ORDER_TYPE,PendingTypeName(OrderGetInteger(ORDER_TYPE)));
   w.KeyNum(FLD_VOLUME,OrderGetDouble(ORDER_VOLUME_CURRENT),VOLUME_DIGITS);
   w.KeyNum(FLD_PRICE_OPEN,OrderGetDouble(ORDER_PRICE_OPEN),PRICE_DIGITS);
   w.KeyNum(FLD_SL,OrderGetDouble(ORDER_SL),PRICE_DIGITS);
   w.KeyNum(FLD_TP,OrderGetDouble(ORDER_TP),PRICE_DIGITS);
   w.KeyLong(FLD_MAGIC,OrderGetInteger(ORDER_MAGIC));
   w.KeyStr(FLD_COMMENT,OrderGetString(ORDER_COMMENT));
   w.KeyLong(FLD_TIME_SETUP_MSC,clock.ServerMsToUtcMs(OrderGetInteger(ORDER_TIME_SETUP_MSC)));
   w.KeyLong(FLD_EXPIRATION_MSC,expiration);
   w.EndObject();
  }
//+------------------------------------------------------------------+
// schema-enum: TerminalDeal.side
string DealSideName(const long dealType)
  {
   if(dealType==DEAL_TYPE_BUY)
      return(VAL_BUY);
   if(dealType==DEAL_TYPE_SELL)
      return(VAL_SELL);
   if(dealType==DEAL_TYPE_BALANCE)
      return(VAL_BALANCE);
   if(dealType==DEAL_TYPE_CREDIT)
      return(VAL_CREDIT);
   return(VAL_OTHER);
  }
//+------------------------------------------------------------------+
// schema-enum: TerminalDeal.entry
string DealEntryName(const long entry)
  {
   if(entry==DEAL_ENTRY_OUT)
      return(VAL_OUT);
   if(entry==DEAL_ENTRY_INOUT)
      return(VAL_INOUT);
   if(entry==DEAL_ENTRY_OUT_BY)
      return(VAL_OUT_BY);
   return(VAL_IN);
  }
//+------------------------------------------------------------------+
//| ENUM_DEAL_REASON without its prefix: CLIENT, EXPERT, SL, TP, SO...|
//+------------------------------------------------------------------+
string DealReasonName(const long reason)
  {
   string name=EnumToString((ENUM_DEAL_REASON)reason);
   if(StringFind(name,"DEAL_REASON_")==0)
      name=StringSubstr(name,12);
   return(name);
  }
//+------------------------------------------------------------------+
//| A deal in the history cache (HistorySelect/HistoryDealSelect      |
//| must have loaded it).                                             |
//+------------------------------------------------------------------+
// schema: TerminalDeal
void WriteDeal(JsonWriter &w,FxClock *clock,const ulong ticket)
  {
   w.BeginObject();
   w.KeyTicket(FLD_TICKET,ticket);
   w.KeyTicket(FLD_ORDER,(ulong)HistoryDealGetInteger(ticket,DEAL_ORDER));
   w.KeyTicket(FLD_POSITION_ID,(ulong)HistoryDealGetInteger(ticket,DEAL_POSITION_ID));
   w.KeyStr(FLD_SYMBOL,HistoryDealGetString(ticket,DEAL_SYMBOL));
   w.KeyStr(FLD_SIDE,DealSideName(HistoryDealGetInteger(ticket,DEAL_TYPE)));
   w.KeyStr(FLD_ENTRY,DealEntryName(HistoryDealGetInteger(ticket,DEAL_ENTRY)));
   w.KeyNum(FLD_VOLUME,HistoryDealGetDouble(ticket,DEAL_VOLUME),VOLUME_DIGITS);
   w.KeyNum(FLD_PRICE,HistoryDealGetDouble(ticket,DEAL_PRICE),PRICE_DIGITS);
   w.KeyNum(FLD_PROFIT,HistoryDealGetDouble(ticket,DEAL_PROFIT),MONEY_DIGITS);
   w.KeyNum(FLD_COMMISSION,HistoryDealGetDouble(ticket,DEAL_COMMISSION),MONEY_DIGITS);
   w.KeyNum(FLD_SWAP,HistoryDealGetDouble(ticket,DEAL_SWAP),MONEY_DIGITS);
   w.KeyLong(FLD_MAGIC,HistoryDealGetInteger(ticket,DEAL_MAGIC));
   w.KeyStr(FLD_COMMENT,HistoryDealGetString(ticket,DEAL_COMMENT));
   w.KeyStr(FLD_REASON,DealReasonName(HistoryDealGetInteger(ticket,DEAL_REASON)));
   w.KeyLong(FLD_TIME_MSC,clock.ServerMsToUtcMs(HistoryDealGetInteger(ticket,DEAL_TIME_MSC)));
   w.EndObject();
  }
//+------------------------------------------------------------------+
// schema-enum: SymbolSpec.tradeMode
string TradeModeName(const long mode)
  {
   if(mode==SYMBOL_TRADE_MODE_DISABLED)
      return(VAL_DISABLED);
   if(mode==SYMBOL_TRADE_MODE_LONGONLY)
      return(VAL_LONGONLY);
   if(mode==SYMBOL_TRADE_MODE_SHORTONLY)
      return(VAL_SHORTONLY);
   if(mode==SYMBOL_TRADE_MODE_CLOSEONLY)
      return(VAL_CLOSEONLY);
   return(VAL_FULL);
  }
//+------------------------------------------------------------------+
// schema: SymbolSpec
void WriteSymbolSpec(JsonWriter &w,const string symbol)
  {
   MqlTick tick;
   ZeroMemory(tick);
   SymbolInfoTick(symbol,tick);
   int digits=(int)SymbolInfoInteger(symbol,SYMBOL_DIGITS);
   w.BeginObject();
   w.KeyStr(FLD_SYMBOL,symbol);
   w.KeyLong(FLD_DIGITS,digits);
   w.KeyNum(FLD_POINT,SymbolInfoDouble(symbol,SYMBOL_POINT),12);
   w.KeyNum(FLD_CONTRACT_SIZE,SymbolInfoDouble(symbol,SYMBOL_TRADE_CONTRACT_SIZE),VOLUME_DIGITS);
   w.KeyNum(FLD_VOLUME_MIN,SymbolInfoDouble(symbol,SYMBOL_VOLUME_MIN),VOLUME_DIGITS);
   w.KeyNum(FLD_VOLUME_MAX,SymbolInfoDouble(symbol,SYMBOL_VOLUME_MAX),VOLUME_DIGITS);
   w.KeyNum(FLD_VOLUME_STEP,SymbolInfoDouble(symbol,SYMBOL_VOLUME_STEP),VOLUME_DIGITS);
   w.KeyLong(FLD_STOPS_LEVEL,SymbolInfoInteger(symbol,SYMBOL_TRADE_STOPS_LEVEL));
   w.KeyLong(FLD_FREEZE_LEVEL,SymbolInfoInteger(symbol,SYMBOL_TRADE_FREEZE_LEVEL));
   // bit 1 = FOK, bit 2 = IOC, as the protocol documents (newer bits left out)
   w.KeyLong(FLD_FILLING_MODES,SymbolInfoInteger(symbol,SYMBOL_FILLING_MODE)&3);
   w.KeyStr(FLD_TRADE_MODE,TradeModeName(SymbolInfoInteger(symbol,SYMBOL_TRADE_MODE)));
   w.KeyStr(FLD_CURRENCY_PROFIT,SymbolInfoString(symbol,SYMBOL_CURRENCY_PROFIT));
   w.KeyStr(FLD_CURRENCY_MARGIN,SymbolInfoString(symbol,SYMBOL_CURRENCY_MARGIN));
   w.KeyNum(FLD_BID,tick.bid,digits);
   w.KeyNum(FLD_ASK,tick.ask,digits);
   w.EndObject();
  }
//+------------------------------------------------------------------+
// schema: TerminalHealth
void WriteHealth(JsonWriter &w,FxClock *clock,const string instance,const long lastTickMsc)
  {
   w.BeginObject();
   w.KeyBool(FLD_CONNECTED,TerminalInfoInteger(TERMINAL_CONNECTED)!=0);
   w.KeyBool(FLD_TRADE_ALLOWED,TerminalInfoInteger(TERMINAL_TRADE_ALLOWED)!=0);
   w.KeyBool(FLD_EA_TRADE_ALLOWED,MQLInfoInteger(MQL_TRADE_ALLOWED)!=0);
   w.KeyLong(FLD_LAST_TICK_MSC,lastTickMsc);
   w.KeyStr(FLD_INSTANCE,instance);
   w.KeyLong(FLD_TIME_MSC,clock.NowMs());
   w.EndObject();
  }
#endif
