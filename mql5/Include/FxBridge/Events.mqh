//+------------------------------------------------------------------+
//| Events.mqh - what the EA publishes on its PUB socket               |
//|                                                                  |
//| Topics (fx_protocol.terminal_wire.event_topic): tick.<SYMBOL>,    |
//| trade.<SYMBOL>, account, heartbeat. Every event carries this EA   |
//| run's random `instance` and a `seq` that increases by one across  |
//| all topics, so the executor sees a restart or a gap and recovers  |
//| lost fills with GET_DEALS (docs/protocol.md section Terminal).    |
//|                                                                  |
//| Ticks: OnTick fires only for the chart's symbol, so every         |
//| subscribed symbol is polled with SymbolInfoTick on each timer and |
//| tick call and published when its time_msc or prices changed.      |
//| SymbolSelect puts a subscribed symbol into Market Watch, without  |
//| which the terminal does not stream its quotes.                    |
//+------------------------------------------------------------------+
#ifndef FXBRIDGE_EVENTS_MQH
#define FXBRIDGE_EVENTS_MQH

#include "Protocol.mqh"
#include "Json.mqh"
#include "Clock.mqh"
#include "TerminalState.mqh"
#include "Server.mqh"

//+------------------------------------------------------------------+
// schema: TickEvent
void WriteTickEvent(JsonWriter &w,const string instance,const long seq,const string symbol,
                    const MqlTick &tick,const int digits,const long timeMsc)
  {
   w.BeginObject();
   w.KeyStr(FLD_TYPE,MSG_TICK);
   w.KeyStr(FLD_INSTANCE,instance);
   w.KeyLong(FLD_SEQ,seq);
   w.KeyStr(FLD_SYMBOL,symbol);
   w.KeyNum(FLD_BID,tick.bid,digits);
   w.KeyNum(FLD_ASK,tick.ask,digits);
   w.KeyNum(FLD_LAST,tick.last,digits);
   w.KeyLong(FLD_VOLUME,(long)tick.volume);
   w.KeyLong(FLD_TIME_MSC,timeMsc);
   w.EndObject();
  }
//+------------------------------------------------------------------+
//| ENUM_TRADE_TRANSACTION_TYPE without its prefix: DEAL_ADD, ...     |
//+------------------------------------------------------------------+
string TransactionKind(const ENUM_TRADE_TRANSACTION_TYPE type)
  {
   string name=EnumToString(type);
   if(StringFind(name,"TRADE_TRANSACTION_")==0)
      name=StringSubstr(name,18);
   return(name);
  }
//+------------------------------------------------------------------+
// schema: TradeTransactionEvent
void WriteTransactionEvent(JsonWriter &w,FxClock *clock,const string instance,const long seq,
                           const MqlTradeTransaction &trans)
  {
   w.BeginObject();
   w.KeyStr(FLD_TYPE,MSG_TRADE_TRANSACTION);
   w.KeyStr(FLD_INSTANCE,instance);
   w.KeyLong(FLD_SEQ,seq);
   w.KeyStr(FLD_KIND,TransactionKind(trans.type));
   w.KeyStr(FLD_SYMBOL,trans.symbol);
   w.KeyTicket(FLD_ORDER,trans.order);
   w.KeyTicket(FLD_POSITION,trans.position);
   // the deal's details only exist once it is in the history
   if(trans.type==TRADE_TRANSACTION_DEAL_ADD && trans.deal>0 && HistoryDealSelect(trans.deal))
     {
      w.Key(FLD_DEAL);
      WriteDeal(w,clock,trans.deal);
     }
   else
      w.KeyNull(FLD_DEAL);
   w.KeyLong(FLD_TIME_MSC,clock.NowMs());
   w.EndObject();
  }
//+------------------------------------------------------------------+
// schema: AccountUpdateEvent
void WriteAccountEvent(JsonWriter &w,FxClock *clock,const string instance,const long seq)
  {
   w.BeginObject();
   w.KeyStr(FLD_TYPE,MSG_ACCOUNT_UPDATE);
   w.KeyStr(FLD_INSTANCE,instance);
   w.KeyLong(FLD_SEQ,seq);
   w.Key(FLD_ACCOUNT);
   WriteAccount(w);
   w.KeyLong(FLD_TIME_MSC,clock.NowMs());
   w.EndObject();
  }
//+------------------------------------------------------------------+
// schema: HeartbeatEvent
void WriteHeartbeatEvent(JsonWriter &w,FxClock *clock,const string instance,const long seq,const long lastTickMsc)
  {
   w.BeginObject();
   w.KeyStr(FLD_TYPE,MSG_HEARTBEAT);
   w.KeyStr(FLD_INSTANCE,instance);
   w.KeyLong(FLD_SEQ,seq);
   w.Key(FLD_HEALTH);
   WriteHealth(w,clock,instance,lastTickMsc);
   w.EndObject();
  }
//+------------------------------------------------------------------+
class FxEvents
  {
private:
   FxServer         *m_server;
   FxClock          *m_clock;
   string            m_instance;
   long              m_seq;
   //--- subscribed symbols and what was last published for each
   string            m_symbols[];
   int               m_digits[];
   long              m_lastTime[];
   double            m_lastBid[];
   double            m_lastAsk[];
   long              m_lastTickMsc;     // newest tick seen, UTC ms
   //--- periodic events
   int               m_heartbeatMs;
   int               m_accountMs;
   ulong             m_nextHeartbeatUs;
   ulong             m_nextAccountUs;
   double            m_lastEquity;
   bool              m_accountDirty;

   long              NextSeq() { m_seq++; return(m_seq); }

public:
                     FxEvents()
     {
      m_server=NULL;
      m_clock=NULL;
      m_instance="";
      m_seq=0;
      m_lastTickMsc=0;
      m_heartbeatMs=1000;
      m_accountMs=1000;
      m_nextHeartbeatUs=0;
      m_nextAccountUs=0;
      m_lastEquity=-1.0;
      m_accountDirty=true;
     }
   void              Configure(FxServer *server,FxClock *clock,const string instance,const int heartbeatMs,const int accountMs)
     {
      m_server=server;
      m_clock=clock;
      m_instance=instance;
      m_seq=0;
      m_heartbeatMs=MathMax(heartbeatMs,50);
      m_accountMs=MathMax(accountMs,50);
      m_nextHeartbeatUs=0;
      m_nextAccountUs=0;
      m_accountDirty=true;
     }
   string            Instance()    { return(m_instance); }
   long              LastTickMsc() { return(m_lastTickMsc); }

   //--- replace the subscribed set; known/unknown report what was accepted
   void              Subscribe(const string &requested[],string &known[],string &unknown[])
     {
      ArrayFree(m_symbols);
      ArrayFree(m_digits);
      ArrayFree(m_lastTime);
      ArrayFree(m_lastBid);
      ArrayFree(m_lastAsk);
      ArrayFree(known);
      ArrayFree(unknown);
      int n=ArraySize(requested);
      for(int i=0; i<n; i++)
        {
         string symbol=requested[i];
         bool custom=false;
         if(!SymbolExist(symbol,custom) || !SymbolSelect(symbol,true))
           {
            int u=ArraySize(unknown);
            ArrayResize(unknown,u+1);
            unknown[u]=symbol;
            continue;
           }
         bool seen=false;
         for(int j=0; j<ArraySize(m_symbols); j++)
            if(m_symbols[j]==symbol)
               seen=true;
         if(seen)
            continue;
         int k=ArraySize(m_symbols);
         ArrayResize(m_symbols,k+1);
         ArrayResize(m_digits,k+1);
         ArrayResize(m_lastTime,k+1);
         ArrayResize(m_lastBid,k+1);
         ArrayResize(m_lastAsk,k+1);
         m_symbols[k]=symbol;
         m_digits[k]=(int)SymbolInfoInteger(symbol,SYMBOL_DIGITS);
         m_lastTime[k]=0;
         m_lastBid[k]=0.0;
         m_lastAsk[k]=0.0;
         int c=ArraySize(known);
         ArrayResize(known,c+1);
         known[c]=symbol;
        }
     }

   //--- publish a TICK for every subscribed symbol whose quote changed
   void              PollTicks()
     {
      int n=ArraySize(m_symbols);
      for(int i=0; i<n; i++)
        {
         MqlTick tick;
         if(!SymbolInfoTick(m_symbols[i],tick) || tick.time_msc==0)
            continue;
         if(tick.time_msc==m_lastTime[i] && tick.bid==m_lastBid[i] && tick.ask==m_lastAsk[i])
            continue;
         m_lastTime[i]=tick.time_msc;
         m_lastBid[i]=tick.bid;
         m_lastAsk[i]=tick.ask;
         long timeMsc=m_clock.ServerMsToUtcMs(tick.time_msc);
         if(timeMsc>m_lastTickMsc)
            m_lastTickMsc=timeMsc;
         JsonWriter w;
         WriteTickEvent(w,m_instance,NextSeq(),m_symbols[i],tick,m_digits[i],timeMsc);
         m_server.Publish(TOPIC_TICK_PREFIX+m_symbols[i],w);
        }
     }

   //--- one TRADE_TRANSACTION event per change on the account
   void              OnTransaction(const MqlTradeTransaction &trans)
     {
      // REQUEST only echoes our own OrderSend; its effects arrive as their own transactions
      if(trans.type==TRADE_TRANSACTION_REQUEST)
         return;
      JsonWriter w;
      WriteTransactionEvent(w,m_clock,m_instance,NextSeq(),trans);
      m_server.Publish(TOPIC_TRADE_PREFIX+trans.symbol,w);
      if(trans.type==TRADE_TRANSACTION_DEAL_ADD || trans.type==TRADE_TRANSACTION_POSITION)
        {
         m_accountDirty=true;
         PublishAccount();
        }
     }

   void              PublishAccount()
     {
      JsonWriter w;
      WriteAccountEvent(w,m_clock,m_instance,NextSeq());
      m_server.Publish(TOPIC_ACCOUNT,w);
      m_lastEquity=AccountInfoDouble(ACCOUNT_EQUITY);
      m_accountDirty=false;
     }

   void              PublishHeartbeat()
     {
      JsonWriter w;
      WriteHeartbeatEvent(w,m_clock,m_instance,NextSeq(),m_lastTickMsc);
      m_server.Publish(TOPIC_HEARTBEAT,w);
     }

   //--- heartbeat every heartbeatMs; account when it changed (equity moves with open positions)
   void              Periodic()
     {
      ulong now=GetMicrosecondCount();
      if(now>=m_nextHeartbeatUs)
        {
         m_nextHeartbeatUs=now+(ulong)m_heartbeatMs*1000;
         PublishHeartbeat();
        }
      if(now>=m_nextAccountUs)
        {
         m_nextAccountUs=now+(ulong)m_accountMs*1000;
         double equity=AccountInfoDouble(ACCOUNT_EQUITY);
         if(m_accountDirty || equity!=m_lastEquity)
            PublishAccount();
        }
     }
  };
#endif
