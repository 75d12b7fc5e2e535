//+------------------------------------------------------------------+
//| Clock.mqh - UTC milliseconds, server-time conversion, instance id |
//|                                                                  |
//| The protocol's *Msc fields are UTC epoch milliseconds, like the   |
//| simulator's. MT5 stamps ticks, deals, orders and positions in the |
//| broker's server time zone, so those are shifted by the server's   |
//| current UTC offset (TimeTradeServer() - TimeGMT(), rounded to a   |
//| quarter hour). A deal dated before the broker's last daylight-    |
//| saving switch is therefore off by that hour; the executor only    |
//| orders deals by ticket, never by time (docs/protocol.md section   |
//| Terminal).                                                        |
//+------------------------------------------------------------------+
#ifndef FXBRIDGE_CLOCK_MQH
#define FXBRIDGE_CLOCK_MQH

class FxClock
  {
private:
   datetime          m_lastSecond;
   ulong             m_baseMicros;
   long              m_lastMs;

public:
                     FxClock() { m_lastSecond=0; m_baseMicros=0; m_lastMs=0; }

   //--- UTC epoch ms. MQL5 has no millisecond wall clock: TimeGMT() gives
   //--- seconds, and the microsecond counter interpolates inside a second.
   //--- Never goes backwards within one EA run.
   long              NowMs()
     {
      datetime second=TimeGMT();
      ulong micros=GetMicrosecondCount();
      if(second!=m_lastSecond)
        {
         m_lastSecond=second;
         m_baseMicros=micros;
        }
      long within=(long)((micros-m_baseMicros)/1000);
      if(within>999)
         within=999;
      long now=(long)second*1000+within;
      if(now<m_lastMs)
         now=m_lastMs;
      m_lastMs=now;
      return(now);
     }

   //--- the broker's offset from UTC in seconds, to the nearest 15 minutes
   long              ServerOffsetSeconds()
     {
      long diff=(long)(TimeTradeServer()-TimeGMT());
      long quarter=900;
      long rounded=(long)MathRound((double)diff/quarter)*quarter;
      return(rounded);
     }
   long              ServerMsToUtcMs(const long serverMs)
     {
      if(serverMs<=0)
         return(0);
      return(serverMs-ServerOffsetSeconds()*1000);
     }
   long              ServerTimeToUtcMs(const datetime serverTime)
     {
      if(serverTime<=0)
         return(0);
      return(((long)serverTime-ServerOffsetSeconds())*1000);
     }
   datetime          UtcMsToServerTime(const long utcMs)
     {
      if(utcMs<=0)
         return(0);
      return((datetime)(utcMs/1000+ServerOffsetSeconds()));
     }
  };
//+------------------------------------------------------------------+
//| A new random id for every EA start, so the executor sees a       |
//| restart even when seq happens to continue where it was.          |
//+------------------------------------------------------------------+
string NewInstanceId()
  {
   MathSrand((int)(GetMicrosecondCount()^(ulong)TimeLocal()^(ulong)ChartID()));
   string id=StringFormat("%08x",(int)((long)TimeGMT()&0x7FFFFFFF));
   for(int i=0; i<4; i++)
      id+=StringFormat("%04x",MathRand()&0xFFFF);
   return(id);
  }
#endif
