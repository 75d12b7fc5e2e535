//+------------------------------------------------------------------+
//| Trading.mqh - carries out one TRADE command with OrderSend        |
//|                                                                  |
//| The checks and their order follow the simulated terminal          |
//| (mt5_simulator/engine/trading.py), which follows an MT5 trade     |
//| server: terminal permissions (10027, 10031, 10017), symbol and    |
//| trade mode (10013, 10017, 10042-10044), quotes (10021), volume    |
//| (10014, 10038), filling (10030), prices and stops against the     |
//| stops level (10015, 10016), freeze level (10029), expiration      |
//| (10022), deviation (10004); then OrderSend, whose retcode is the  |
//| server's word. Checking before sending gives the same retcode the |
//| server would, with a clear message, and never a half-valid order. |
//|                                                                  |
//| EA-only safety (a second line of defence behind the executor's    |
//| limits): a hard maximum lot size for orders that add risk, and an |
//| optional magic-number filter that keeps the bridge away from      |
//| every position and order it does not own.                         |
//|                                                                  |
//| Tickets are ulong (MT5's own type; the wire carries them as       |
//| non-negative 64-bit integers). The command id becomes the order   |
//| comment, so every order and deal traces back to its command.      |
//+------------------------------------------------------------------+
#ifndef FXBRIDGE_TRADING_MQH
#define FXBRIDGE_TRADING_MQH

#include "Protocol.mqh"
#include "Retcodes.mqh"
#include "Json.mqh"
#include "Clock.mqh"
#include "TerminalState.mqh"
#include "Outcome.mqh"
#include "RequestFields.mqh"

#define PRICE_EPSILON 1e-9
//--- how far back an interrupted command's order is searched for
#define RECOVERY_HISTORY_DAYS 30

//+------------------------------------------------------------------+
class FxTrading
  {
private:
   FxClock          *m_clock;
   long              m_magicFilter;   // 0 = off
   double            m_maxLot;        // 0 = off

   bool              Refuse(TradeResult &r,const uint code,const string message)
     {
      r.retcode=code;
      r.message=message;
      return(false);
     }
   int               VolumeDigits(const double step)
     {
      int d=0;
      double scaled=step;
      while(d<8 && MathAbs(scaled-MathRound(scaled))>1e-9)
        {
         scaled*=10.0;
         d++;
        }
      return(d);
     }
   double            NormalizePrice(const string symbol,const double price)
     {
      if(price<=0.0)
         return(0.0);
      int digits=(int)SymbolInfoInteger(symbol,SYMBOL_DIGITS);
      double tickSize=SymbolInfoDouble(symbol,SYMBOL_TRADE_TICK_SIZE);
      double p=price;
      if(tickSize>0.0)
         p=MathRound(p/tickSize)*tickSize;
      return(NormalizeDouble(p,digits));
     }
   double            SymbolPoint(const string symbol) { return(SymbolInfoDouble(symbol,SYMBOL_POINT)); }

   bool              CheckTerminal(TradeResult &r);
   bool              CheckSymbolExists(const string symbol,TradeResult &r);
   bool              CheckSymbol(const string symbol,const int openingDirection,MqlTick &tick,TradeResult &r);
   bool              CheckVolume(const string symbol,const double requested,double &volume,TradeResult &r);
   bool              CheckRiskLimits(const double volume,TradeResult &r);
   bool              CheckMagic(const long magic,const string what,TradeResult &r);
   bool              ChooseFilling(const string symbol,ENUM_ORDER_TYPE_FILLING &filling,TradeResult &r);
   bool              CheckStops(const string symbol,const bool isBuy,const double reference,const double sl,const double tp,TradeResult &r);
   bool              CheckFrozenPosition(const string symbol,const bool isBuy,const double sl,const double tp,MqlTick &tick,TradeResult &r);
   bool              CheckDeviation(const string symbol,const TradeCommand &cmd,const double market,TradeResult &r);
   bool              Send(MqlTradeRequest &request,TradeResult &r);

   void              OpenPosition(const TradeCommand &cmd,TradeResult &r);
   void              PlaceOrder(const TradeCommand &cmd,TradeResult &r);
   bool              ClosePosition(const ulong ticket,const double volume,const TradeCommand &cmd,TradeResult &r);
   void              ModifyPosition(const TradeCommand &cmd,TradeResult &r);
   bool              CancelOrder(const ulong ticket,TradeResult &r);
   void              CloseAll(const TradeCommand &cmd,TradeResult &r);

public:
                     FxTrading() { m_clock=NULL; m_magicFilter=0; m_maxLot=0.0; }
   void              Configure(FxClock *clock,const long magicFilter,const double maxLot)
     {
      m_clock=clock;
      m_magicFilter=magicFilter;
      m_maxLot=maxLot;
     }
   void              Execute(const TradeCommand &cmd,TradeResult &r);
   void              RecoverInterrupted(const string commandId,TradeResult &r);
  };
//+------------------------------------------------------------------+
//| Runs one command; r always ends with a retcode and a message.    |
//+------------------------------------------------------------------+
void FxTrading::Execute(const TradeCommand &cmd,TradeResult &r)
  {
   ResetResult(r,m_clock.NowMs());
   r.symbol=cmd.symbol;
   if(CheckTerminal(r))
     {
      if(cmd.action==VAL_OPEN_POSITION)
         OpenPosition(cmd,r);
      else
         if(cmd.action==VAL_PLACE_ORDER)
            PlaceOrder(cmd,r);
         else
            if(cmd.action==VAL_CLOSE_POSITION)
               ClosePosition(cmd.ticket,cmd.volume,cmd,r);
            else
               if(cmd.action==VAL_MODIFY_POSITION)
                  ModifyPosition(cmd,r);
               else
                  if(cmd.action==VAL_CANCEL_ORDER)
                     CancelOrder(cmd.ticket,r);
                  else
                     if(cmd.action==VAL_CLOSE_ALL)
                        CloseAll(cmd,r);
                     else
                        Refuse(r,RC_INVALID,"unknown action "+cmd.action);
     }
   if(r.retcode==0)
      Refuse(r,RC_ERROR,"no outcome");
   if(r.symbol!="")
     {
      MqlTick tick;
      if(SymbolInfoTick(r.symbol,tick))
        {
         r.bid=tick.bid;
         r.ask=tick.ask;
        }
     }
  }
//+------------------------------------------------------------------+
bool FxTrading::CheckTerminal(TradeResult &r)
  {
   if(TerminalInfoInteger(TERMINAL_TRADE_ALLOWED)==0)
      return(Refuse(r,RC_CLIENT_DISABLES_AT,"algo trading is disabled in the terminal"));
   if(MQLInfoInteger(MQL_TRADE_ALLOWED)==0)
      return(Refuse(r,RC_CLIENT_DISABLES_AT,"the expert is not allowed to trade"));
   if(TerminalInfoInteger(TERMINAL_CONNECTED)==0)
      return(Refuse(r,RC_CONNECTION,"no connection with the trade server"));
   if(AccountInfoInteger(ACCOUNT_TRADE_ALLOWED)==0 || AccountInfoInteger(ACCOUNT_TRADE_EXPERT)==0)
      return(Refuse(r,RC_TRADE_DISABLED,"trading is disabled for the account"));
   return(true);
  }
//+------------------------------------------------------------------+
bool FxTrading::CheckSymbolExists(const string symbol,TradeResult &r)
  {
   if(symbol=="")
      return(Refuse(r,RC_INVALID,"symbol is required"));
   bool custom=false;
   if(!SymbolExist(symbol,custom))
      return(Refuse(r,RC_INVALID,"unknown symbol "+symbol));
   // a symbol outside Market Watch has no fresh quotes
   SymbolSelect(symbol,true);
   return(true);
  }
//+------------------------------------------------------------------+
//| Trade mode and quotes. openingDirection: +1 opens a buy, -1 a     |
//| sell, 0 = the request only reduces risk (close, modify, cancel).  |
//| The session is left to the server (10018 MARKET_CLOSED).          |
//+------------------------------------------------------------------+
bool FxTrading::CheckSymbol(const string symbol,const int openingDirection,MqlTick &tick,TradeResult &r)
  {
   long mode=SymbolInfoInteger(symbol,SYMBOL_TRADE_MODE);
   if(mode==SYMBOL_TRADE_MODE_DISABLED)
      return(Refuse(r,RC_TRADE_DISABLED,"trading is disabled for "+symbol));
   if(openingDirection!=0)
     {
      if(mode==SYMBOL_TRADE_MODE_CLOSEONLY)
         return(Refuse(r,RC_CLOSE_ONLY,symbol+" allows closing only"));
      if(mode==SYMBOL_TRADE_MODE_LONGONLY && openingDirection<0)
         return(Refuse(r,RC_LONG_ONLY,symbol+" allows buying only"));
      if(mode==SYMBOL_TRADE_MODE_SHORTONLY && openingDirection>0)
         return(Refuse(r,RC_SHORT_ONLY,symbol+" allows selling only"));
     }
   ZeroMemory(tick);
   if(!SymbolInfoTick(symbol,tick) || tick.bid<=0.0 || tick.ask<=0.0)
      return(Refuse(r,RC_PRICE_OFF,"no quotes for "+symbol));
   return(true);
  }
//+------------------------------------------------------------------+
//| MT5's volume rule, as the simulator applies it: within min..max   |
//| and a whole number of steps. A value off the step by float noise  |
//| only (0.1+0.2) is snapped onto it; anything else is refused with  |
//| 10014 rather than silently traded at a different size.            |
//+------------------------------------------------------------------+
bool FxTrading::CheckVolume(const string symbol,const double requested,double &volume,TradeResult &r)
  {
   double vmin=SymbolInfoDouble(symbol,SYMBOL_VOLUME_MIN);
   double vmax=SymbolInfoDouble(symbol,SYMBOL_VOLUME_MAX);
   double step=SymbolInfoDouble(symbol,SYMBOL_VOLUME_STEP);
   if(step<=0.0)
      step=(vmin>0.0) ? vmin : 0.01;
   if(!MathIsValidNumber(requested) || requested<=0.0)
      return(Refuse(r,RC_INVALID,"volume is required"));
   double steps=requested/step;
   double whole=MathRound(steps);
   bool onStep=(MathAbs(steps-whole)<1e-6);
   double snapped=NormalizeDouble(whole*step,VolumeDigits(step));
   if(!onStep || snapped<vmin-PRICE_EPSILON || snapped>vmax+PRICE_EPSILON)
      return(Refuse(r,RC_INVALID_VOLUME,StringFormat("volume %s is not within %s..%s in steps of %s",
                    JsonNumberText(requested,8),JsonNumberText(vmin,8),JsonNumberText(vmax,8),JsonNumberText(step,8))));
   volume=snapped;
   return(true);
  }
//+------------------------------------------------------------------+
//| The EA's own hard lot limit for orders that add risk              |
//+------------------------------------------------------------------+
bool FxTrading::CheckRiskLimits(const double volume,TradeResult &r)
  {
   if(m_maxLot>0.0 && volume>m_maxLot+PRICE_EPSILON)
      return(Refuse(r,RC_INVALID_VOLUME,StringFormat("volume %s exceeds the EA's hard maximum of %s lots (input MaxLotPerOrder)",
                    JsonNumberText(volume,8),JsonNumberText(m_maxLot,8))));
   return(true);
  }
//+------------------------------------------------------------------+
//| With a magic filter set, the EA touches only its own business.    |
//+------------------------------------------------------------------+
bool FxTrading::CheckMagic(const long magic,const string what,TradeResult &r)
  {
   if(m_magicFilter!=0 && magic!=m_magicFilter)
      return(Refuse(r,RC_REJECT,StringFormat("%s has magic %I64d; this EA only handles magic %I64d (input MagicFilter)",
                    what,magic,m_magicFilter)));
   return(true);
  }
//+------------------------------------------------------------------+
//| Filling for market deals, from SYMBOL_FILLING_MODE: FOK when      |
//| allowed (all or nothing: no partial fill to explain), else IOC.   |
//| Request and Instant execution ignore the policy, so RETURN is     |
//| sent there. Market/Exchange execution with neither flag leaves    |
//| no valid policy: 10030, as the simulator answers.                 |
//+------------------------------------------------------------------+
bool FxTrading::ChooseFilling(const string symbol,ENUM_ORDER_TYPE_FILLING &filling,TradeResult &r)
  {
   long modes=SymbolInfoInteger(symbol,SYMBOL_FILLING_MODE);
   if((modes&SYMBOL_FILLING_FOK)!=0)
     {
      filling=ORDER_FILLING_FOK;
      return(true);
     }
   if((modes&SYMBOL_FILLING_IOC)!=0)
     {
      filling=ORDER_FILLING_IOC;
      return(true);
     }
   long execution=SymbolInfoInteger(symbol,SYMBOL_TRADE_EXEMODE);
   if(execution==SYMBOL_TRADE_EXECUTION_REQUEST || execution==SYMBOL_TRADE_EXECUTION_INSTANT)
     {
      filling=ORDER_FILLING_RETURN;
      return(true);
     }
   return(Refuse(r,RC_INVALID_FILL,"no supported filling mode for "+symbol));
  }
//+------------------------------------------------------------------+
//| SL/TP at least SYMBOL_TRADE_STOPS_LEVEL points from the reference |
//| on the correct side: for positions the price they close at (bid   |
//| for a buy, ask for a sell), for pending orders the order price.   |
//+------------------------------------------------------------------+
bool FxTrading::CheckStops(const string symbol,const bool isBuy,const double reference,const double sl,const double tp,TradeResult &r)
  {
   double level=(double)SymbolInfoInteger(symbol,SYMBOL_TRADE_STOPS_LEVEL)*SymbolPoint(symbol)-PRICE_EPSILON;
   string ref=JsonNumberText(reference,8);
   if(isBuy)
     {
      if(sl>0.0 && (sl>=reference || reference-sl<level))
         return(Refuse(r,RC_INVALID_STOPS,"stop loss "+JsonNumberText(sl,8)+" too close to "+ref));
      if(tp>0.0 && (tp<=reference || tp-reference<level))
         return(Refuse(r,RC_INVALID_STOPS,"take profit "+JsonNumberText(tp,8)+" too close to "+ref));
     }
   else
     {
      if(sl>0.0 && (sl<=reference || sl-reference<level))
         return(Refuse(r,RC_INVALID_STOPS,"stop loss "+JsonNumberText(sl,8)+" too close to "+ref));
      if(tp>0.0 && (tp>=reference || reference-tp<level))
         return(Refuse(r,RC_INVALID_STOPS,"take profit "+JsonNumberText(tp,8)+" too close to "+ref));
     }
   return(true);
  }
//+------------------------------------------------------------------+
//| Within SYMBOL_TRADE_FREEZE_LEVEL of its SL or TP a position can    |
//| be neither modified nor closed by request (the server's rule).    |
//+------------------------------------------------------------------+
bool FxTrading::CheckFrozenPosition(const string symbol,const bool isBuy,const double sl,const double tp,MqlTick &tick,TradeResult &r)
  {
   double level=(double)SymbolInfoInteger(symbol,SYMBOL_TRADE_FREEZE_LEVEL)*SymbolPoint(symbol);
   if(level<=0.0)
      return(true);
   double price=isBuy ? tick.bid : tick.ask;
   if(sl>0.0 && MathAbs(price-sl)<level-PRICE_EPSILON)
      return(Refuse(r,RC_FROZEN,"position is frozen near its stop loss "+JsonNumberText(sl,8)));
   if(tp>0.0 && MathAbs(price-tp)<level-PRICE_EPSILON)
      return(Refuse(r,RC_FROZEN,"position is frozen near its take profit "+JsonNumberText(tp,8)));
   return(true);
  }
//+------------------------------------------------------------------+
//| A market request carrying a price: refused with REQUOTE when the  |
//| market has moved more than `deviation` points from it.            |
//+------------------------------------------------------------------+
bool FxTrading::CheckDeviation(const string symbol,const TradeCommand &cmd,const double market,TradeResult &r)
  {
   if(cmd.price<=0.0)
      return(true);
   double point=SymbolPoint(symbol);
   double reference=NormalizePrice(symbol,cmd.price);
   if(MathAbs(market-reference)>(double)cmd.deviation*point+PRICE_EPSILON)
      return(Refuse(r,RC_REQUOTE,StringFormat("price %s is %.0f points from %s, deviation %I64d",
                    JsonNumberText(market,8),MathAbs(market-reference)/point,JsonNumberText(reference,8),cmd.deviation)));
   return(true);
  }
//+------------------------------------------------------------------+
//| OrderSend and its result. OrderSend returns false when the        |
//| terminal refuses before the server; result.retcode still names    |
//| the reason, and 10011 ERROR stands in when it does not.           |
//+------------------------------------------------------------------+
bool FxTrading::Send(MqlTradeRequest &request,TradeResult &r)
  {
   MqlTradeResult result;
   ZeroMemory(result);
   ResetLastError();
   bool sent=OrderSend(request,result);
   r.retcode=result.retcode;
   r.message=result.comment;
   if(r.retcode==0)
     {
      r.retcode=RC_ERROR;
      r.message=StringFormat("OrderSend failed, error %d",GetLastError());
     }
   r.order=result.order;
   r.deal=result.deal;
   r.volume=result.volume;
   r.price=result.price;
   if(result.bid>0.0)
      r.bid=result.bid;
   if(result.ask>0.0)
      r.ask=result.ask;
   return(sent && RetcodeIsSuccess(r.retcode));
  }
//+------------------------------------------------------------------+
void FxTrading::OpenPosition(const TradeCommand &cmd,TradeResult &r)
  {
   if(!CheckSymbolExists(cmd.symbol,r))
      return;
   if(cmd.orderType!=VAL_BUY && cmd.orderType!=VAL_SELL)
     {
      Refuse(r,RC_INVALID,"OPEN_POSITION needs orderType BUY or SELL");
      return;
     }
   bool isBuy=(cmd.orderType==VAL_BUY);
   MqlTick tick;
   double volume=0.0;
   ENUM_ORDER_TYPE_FILLING filling=ORDER_FILLING_FOK;
   long magic=cmd.hasMagic ? cmd.magic : m_magicFilter;
   if(!CheckSymbol(cmd.symbol,isBuy ? 1 : -1,tick,r) || !CheckVolume(cmd.symbol,cmd.volume,volume,r)
      || !CheckRiskLimits(volume,r) || !CheckMagic(magic,"the order",r) || !ChooseFilling(cmd.symbol,filling,r))
      return;
   double sl=cmd.hasSl ? NormalizePrice(cmd.symbol,cmd.sl) : 0.0;
   double tp=cmd.hasTp ? NormalizePrice(cmd.symbol,cmd.tp) : 0.0;
   double market=isBuy ? tick.ask : tick.bid;
   if(!CheckStops(cmd.symbol,isBuy,isBuy ? tick.bid : tick.ask,sl,tp,r) || !CheckDeviation(cmd.symbol,cmd,market,r))
      return;
   MqlTradeRequest request;
   ZeroMemory(request);
   request.action=TRADE_ACTION_DEAL;
   request.symbol=cmd.symbol;
   request.volume=volume;
   request.type=isBuy ? ORDER_TYPE_BUY : ORDER_TYPE_SELL;
   request.price=market;
   request.sl=sl;
   request.tp=tp;
   request.deviation=(ulong)cmd.deviation;
   request.magic=(ulong)magic;
   request.comment=cmd.commandId;
   request.type_filling=filling;
   request.type_time=ORDER_TIME_GTC;
   if(!Send(request,r))
      return;
   // the position the deal opened or changed: DEAL_POSITION_ID, or in hedging
   // mode the opening order's ticket, which MT5 gives the new position
   r.position=0;
   if(r.deal>0 && HistoryDealSelect(r.deal))
      r.position=(ulong)HistoryDealGetInteger(r.deal,DEAL_POSITION_ID);
   if(r.position==0 && AccountIsHedging())
      r.position=r.order;
  }
//+------------------------------------------------------------------+
void FxTrading::PlaceOrder(const TradeCommand &cmd,TradeResult &r)
  {
   if(!CheckSymbolExists(cmd.symbol,r))
      return;
   ENUM_ORDER_TYPE type=ORDER_TYPE_BUY_LIMIT;
   if(cmd.orderType==VAL_SELL_LIMIT)
      type=ORDER_TYPE_SELL_LIMIT;
   else
      if(cmd.orderType==VAL_BUY_STOP)
         type=ORDER_TYPE_BUY_STOP;
      else
         if(cmd.orderType==VAL_SELL_STOP)
            type=ORDER_TYPE_SELL_STOP;
         else
            if(cmd.orderType!=VAL_BUY_LIMIT)
              {
               Refuse(r,RC_INVALID,"PLACE_ORDER needs a pending orderType");
               return;
              }
   if(cmd.price<=0.0)
     {
      Refuse(r,RC_INVALID,"PLACE_ORDER needs a price");
      return;
     }
   bool isBuy=(type==ORDER_TYPE_BUY_LIMIT || type==ORDER_TYPE_BUY_STOP);
   MqlTick tick;
   double volume=0.0;
   long magic=cmd.hasMagic ? cmd.magic : m_magicFilter;
   if(!CheckSymbol(cmd.symbol,isBuy ? 1 : -1,tick,r) || !CheckVolume(cmd.symbol,cmd.volume,volume,r)
      || !CheckRiskLimits(volume,r) || !CheckMagic(magic,"the order",r))
      return;
   //--- lifetime: good till cancelled, or until expirationMsc (UTC ms)
   long expirationModes=SymbolInfoInteger(cmd.symbol,SYMBOL_EXPIRATION_MODE);
   ENUM_ORDER_TYPE_TIME typeTime=ORDER_TIME_GTC;
   datetime expiration=0;
   if(cmd.expirationMsc>0)
     {
      if(cmd.expirationMsc<=m_clock.NowMs())
        {
         Refuse(r,RC_INVALID_EXPIRATION,"expiration is in the past");
         return;
        }
      if((expirationModes&SYMBOL_EXPIRATION_SPECIFIED)==0)
        {
         Refuse(r,RC_INVALID_EXPIRATION,cmd.symbol+" does not allow an expiration time");
         return;
        }
      typeTime=ORDER_TIME_SPECIFIED;
      expiration=m_clock.UtcMsToServerTime(cmd.expirationMsc);
     }
   else
      if((expirationModes&SYMBOL_EXPIRATION_GTC)==0)
        {
         Refuse(r,RC_INVALID_EXPIRATION,cmd.symbol+" does not allow good-till-cancelled orders");
         return;
        }
   //--- the price on the right side of the market, at least the stops level away
   double price=NormalizePrice(cmd.symbol,cmd.price);
   double level=(double)SymbolInfoInteger(cmd.symbol,SYMBOL_TRADE_STOPS_LEVEL)*SymbolPoint(cmd.symbol)-PRICE_EPSILON;
   double distance=0.0;
   if(type==ORDER_TYPE_BUY_LIMIT)
      distance=tick.ask-price;
   if(type==ORDER_TYPE_BUY_STOP)
      distance=price-tick.ask;
   if(type==ORDER_TYPE_SELL_LIMIT)
      distance=price-tick.bid;
   if(type==ORDER_TYPE_SELL_STOP)
      distance=tick.bid-price;
   if(distance<=0.0 || distance<level)
     {
      Refuse(r,RC_INVALID_PRICE,StringFormat("%s price %s is on the wrong side of, or within %I64d points of, the market %s/%s",
             cmd.orderType,JsonNumberText(price,8),SymbolInfoInteger(cmd.symbol,SYMBOL_TRADE_STOPS_LEVEL),
             JsonNumberText(tick.bid,8),JsonNumberText(tick.ask,8)));
      return;
     }
   double sl=cmd.hasSl ? NormalizePrice(cmd.symbol,cmd.sl) : 0.0;
   double tp=cmd.hasTp ? NormalizePrice(cmd.symbol,cmd.tp) : 0.0;
   if(!CheckStops(cmd.symbol,isBuy,price,sl,tp,r))
      return;
   MqlTradeRequest request;
   ZeroMemory(request);
   request.action=TRADE_ACTION_PENDING;
   request.symbol=cmd.symbol;
   request.volume=volume;
   request.type=type;
   request.price=price;
   request.sl=sl;
   request.tp=tp;
   request.magic=(ulong)magic;
   request.comment=cmd.commandId;
   // a resting order keeps its remainder after a partial fill
   request.type_filling=ORDER_FILLING_RETURN;
   request.type_time=typeTime;
   request.expiration=expiration;
   if(!Send(request,r))
      return;
   r.volume=volume;
   r.price=price;
  }
//+------------------------------------------------------------------+
//| Closes `volume` lots of a position (0 = all of it).               |
//+------------------------------------------------------------------+
bool FxTrading::ClosePosition(const ulong ticket,const double volume,const TradeCommand &cmd,TradeResult &r)
  {
   if(ticket==0)
      return(Refuse(r,RC_INVALID,"CLOSE_POSITION needs a ticket"));
   if(!PositionSelectByTicket(ticket))
      return(Refuse(r,RC_POSITION_CLOSED,StringFormat("position %I64u does not exist",ticket)));
   string symbol=PositionGetString(POSITION_SYMBOL);
   bool isBuy=(PositionGetInteger(POSITION_TYPE)==POSITION_TYPE_BUY);
   double held=PositionGetDouble(POSITION_VOLUME);
   double sl=PositionGetDouble(POSITION_SL);
   double tp=PositionGetDouble(POSITION_TP);
   long positionMagic=PositionGetInteger(POSITION_MAGIC);
   r.symbol=symbol;
   if(!CheckMagic(positionMagic,StringFormat("position %I64u",ticket),r))
      return(false);
   MqlTick tick;
   if(!CheckSymbol(symbol,0,tick,r))
      return(false);
   double closing=held;
   if(volume>0.0)
     {
      if(!CheckVolume(symbol,volume,closing,r))
         return(false);
      if(closing>held+PRICE_EPSILON)
         return(Refuse(r,RC_INVALID_CLOSE_VOLUME,StringFormat("close volume %s exceeds position volume %s",
                       JsonNumberText(closing,8),JsonNumberText(held,8))));
     }
   ENUM_ORDER_TYPE_FILLING filling=ORDER_FILLING_FOK;
   if(!ChooseFilling(symbol,filling,r) || !CheckFrozenPosition(symbol,isBuy,sl,tp,tick,r))
      return(false);
   double market=isBuy ? tick.bid : tick.ask;
   if(!CheckDeviation(symbol,cmd,market,r))
      return(false);
   MqlTradeRequest request;
   ZeroMemory(request);
   request.action=TRADE_ACTION_DEAL;
   request.position=ticket;
   request.symbol=symbol;
   request.volume=closing;
   request.type=isBuy ? ORDER_TYPE_SELL : ORDER_TYPE_BUY;
   request.price=market;
   request.deviation=(ulong)cmd.deviation;
   request.magic=(ulong)(cmd.hasMagic ? cmd.magic : positionMagic);
   request.comment=cmd.commandId;
   request.type_filling=filling;
   request.type_time=ORDER_TIME_GTC;
   bool ok=Send(request,r);
   r.position=ticket;
   return(ok);
  }
//+------------------------------------------------------------------+
void FxTrading::ModifyPosition(const TradeCommand &cmd,TradeResult &r)
  {
   if(!cmd.hasTicket || cmd.ticket==0)
     {
      Refuse(r,RC_INVALID,"MODIFY_POSITION needs a ticket");
      return;
     }
   if(!cmd.hasSl && !cmd.hasTp)
     {
      Refuse(r,RC_INVALID,"MODIFY_POSITION needs sl or tp");
      return;
     }
   if(!PositionSelectByTicket(cmd.ticket))
     {
      Refuse(r,RC_POSITION_CLOSED,StringFormat("position %I64u does not exist",cmd.ticket));
      return;
     }
   string symbol=PositionGetString(POSITION_SYMBOL);
   bool isBuy=(PositionGetInteger(POSITION_TYPE)==POSITION_TYPE_BUY);
   double currentSl=PositionGetDouble(POSITION_SL);
   double currentTp=PositionGetDouble(POSITION_TP);
   double held=PositionGetDouble(POSITION_VOLUME);
   double priceOpen=PositionGetDouble(POSITION_PRICE_OPEN);
   r.symbol=symbol;
   r.position=cmd.ticket;
   if(!CheckMagic(PositionGetInteger(POSITION_MAGIC),StringFormat("position %I64u",cmd.ticket),r))
      return;
   MqlTick tick;
   if(!CheckSymbol(symbol,0,tick,r))
      return;
   // an absent sl/tp keeps the current one; 0 removes it
   double sl=cmd.hasSl ? NormalizePrice(symbol,cmd.sl) : currentSl;
   double tp=cmd.hasTp ? NormalizePrice(symbol,cmd.tp) : currentTp;
   if(MathAbs(sl-currentSl)<PRICE_EPSILON && MathAbs(tp-currentTp)<PRICE_EPSILON)
     {
      r.retcode=RC_NO_CHANGES;
      r.message="stops unchanged";
      return;
     }
   if(!CheckFrozenPosition(symbol,isBuy,currentSl,currentTp,tick,r)
      || !CheckStops(symbol,isBuy,isBuy ? tick.bid : tick.ask,sl,tp,r))
      return;
   MqlTradeRequest request;
   ZeroMemory(request);
   request.action=TRADE_ACTION_SLTP;
   request.position=cmd.ticket;
   request.symbol=symbol;
   request.sl=sl;
   request.tp=tp;
   request.magic=(ulong)PositionGetInteger(POSITION_MAGIC);
   request.comment=cmd.commandId;
   if(!Send(request,r))
      return;
   r.position=cmd.ticket;
   r.volume=held;
   r.price=priceOpen;
  }
//+------------------------------------------------------------------+
bool FxTrading::CancelOrder(const ulong ticket,TradeResult &r)
  {
   if(ticket==0)
      return(Refuse(r,RC_INVALID,"CANCEL_ORDER needs a ticket"));
   if(!OrderSelect(ticket) || PendingTypeName(OrderGetInteger(ORDER_TYPE))=="")
      return(Refuse(r,RC_INVALID,StringFormat("order %I64u not found",ticket)));
   string symbol=OrderGetString(ORDER_SYMBOL);
   long type=OrderGetInteger(ORDER_TYPE);
   double price=OrderGetDouble(ORDER_PRICE_OPEN);
   double volume=OrderGetDouble(ORDER_VOLUME_CURRENT);
   r.symbol=symbol;
   if(!CheckMagic(OrderGetInteger(ORDER_MAGIC),StringFormat("order %I64u",ticket),r))
      return(false);
   MqlTick tick;
   if(!CheckSymbol(symbol,0,tick,r))
      return(false);
   bool isBuy=(type==ORDER_TYPE_BUY_LIMIT || type==ORDER_TYPE_BUY_STOP);
   double market=isBuy ? tick.ask : tick.bid;
   double freeze=(double)SymbolInfoInteger(symbol,SYMBOL_TRADE_FREEZE_LEVEL)*SymbolPoint(symbol);
   if(MathAbs(market-price)<freeze-PRICE_EPSILON)
      return(Refuse(r,RC_FROZEN,StringFormat("order %I64u is within the freeze level",ticket)));
   MqlTradeRequest request;
   ZeroMemory(request);
   request.action=TRADE_ACTION_REMOVE;
   request.order=ticket;
   bool ok=Send(request,r);
   r.order=ticket;
   if(ok)
     {
      r.volume=volume;
      r.price=price;
     }
   return(ok);
  }
//+------------------------------------------------------------------+
//| Closes every selected position, then deletes every selected       |
//| pending order; one CloseItem each. DONE when all succeeded,       |
//| DONE_PARTIAL when some did, else the first failure's retcode.     |
//+------------------------------------------------------------------+
void FxTrading::CloseAll(const TradeCommand &cmd,TradeResult &r)
  {
   if(cmd.symbol!="" && !CheckSymbolExists(cmd.symbol,r))
      return;
   //--- collect tickets first: closing renumbers the terminal's lists
   ulong positions[];
   ulong orders[];
   int total=PositionsTotal();
   for(int i=0; i<total; i++)
     {
      ulong ticket=PositionGetTicket(i);
      if(ticket==0)
         continue;
      if(cmd.symbol!="" && PositionGetString(POSITION_SYMBOL)!=cmd.symbol)
         continue;
      long magic=PositionGetInteger(POSITION_MAGIC);
      if((cmd.hasMagic && magic!=cmd.magic) || (m_magicFilter!=0 && magic!=m_magicFilter))
         continue;
      int n=ArraySize(positions);
      ArrayResize(positions,n+1,64);
      positions[n]=ticket;
     }
   total=OrdersTotal();
   for(int i=0; i<total; i++)
     {
      ulong ticket=OrderGetTicket(i);
      if(ticket==0 || PendingTypeName(OrderGetInteger(ORDER_TYPE))=="")
         continue;
      if(cmd.symbol!="" && OrderGetString(ORDER_SYMBOL)!=cmd.symbol)
         continue;
      long magic=OrderGetInteger(ORDER_MAGIC);
      if((cmd.hasMagic && magic!=cmd.magic) || (m_magicFilter!=0 && magic!=m_magicFilter))
         continue;
      int n=ArraySize(orders);
      ArrayResize(orders,n+1,64);
      orders[n]=ticket;
     }
   int count=ArraySize(positions)+ArraySize(orders);
   ArrayResize(r.closed,count);
   int failures=0;
   uint firstFailure=0;
   TradeCommand whole=cmd;
   whole.price=0.0; // CLOSE_ALL carries no reference price
   for(int k=0; k<count; k++)
     {
      TradeResult one;
      ResetResult(one,r.timeMsc);
      bool isPosition=(k<ArraySize(positions));
      ulong ticket=isPosition ? positions[k] : orders[k-ArraySize(positions)];
      if(isPosition)
         ClosePosition(ticket,0.0,whole,one);
      else
         CancelOrder(ticket,one);
      r.closed[k].ticket=ticket;
      r.closed[k].retcode=one.retcode;
      r.closed[k].deal=one.deal;
      r.closed[k].volume=one.volume;
      r.closed[k].price=one.price;
      if(one.retcode!=RC_DONE)
        {
         failures++;
         if(firstFailure==0)
            firstFailure=one.retcode;
        }
     }
   if(failures==0)
     {
      r.retcode=RC_DONE;
      r.message=StringFormat("%d closed",count);
     }
   else
      if(failures<count)
        {
         r.retcode=RC_DONE_PARTIAL;
         r.message=StringFormat("%d of %d failed",failures,count);
        }
      else
        {
         r.retcode=firstFailure;
         r.message=StringFormat("all %d failed",count);
        }
   r.symbol=cmd.symbol;
  }
//+------------------------------------------------------------------+
//| A command the ledger holds as pending only: the EA or terminal    |
//| stopped between OrderSend and recording the outcome. The order,   |
//| if it reached the server, carries the command id as its comment;  |
//| look for it instead of trading a second time. Not found means no  |
//| order reached the server; it is reported as 10011 ERROR (FINAL)   |
//| and never sent again under this id.                               |
//+------------------------------------------------------------------+
void FxTrading::RecoverInterrupted(const string commandId,TradeResult &r)
  {
   ResetResult(r,m_clock.NowMs());
   //--- a fill: the deal carries the comment
   datetime to=TimeTradeServer()+86400;
   datetime from=to-RECOVERY_HISTORY_DAYS*86400;
   if(HistorySelect(from,to))
     {
      int inHistory=HistoryDealsTotal();
      for(int i=inHistory-1; i>=0; i--)
        {
         ulong deal=HistoryDealGetTicket(i);
         if(deal==0 || HistoryDealGetString(deal,DEAL_COMMENT)!=commandId)
            continue;
         r.retcode=RC_DONE;
         r.deal=deal;
         r.order=(ulong)HistoryDealGetInteger(deal,DEAL_ORDER);
         r.position=(ulong)HistoryDealGetInteger(deal,DEAL_POSITION_ID);
         r.volume=HistoryDealGetDouble(deal,DEAL_VOLUME);
         r.price=HistoryDealGetDouble(deal,DEAL_PRICE);
         r.symbol=HistoryDealGetString(deal,DEAL_SYMBOL);
         r.message="recovered after a restart: found the deal of this command";
         return;
        }
     }
   //--- a pending order still working
   int total=OrdersTotal();
   for(int i=0; i<total; i++)
     {
      ulong ticket=OrderGetTicket(i);
      if(ticket==0 || OrderGetString(ORDER_COMMENT)!=commandId)
         continue;
      r.retcode=RC_PLACED;
      r.order=ticket;
      r.volume=OrderGetDouble(ORDER_VOLUME_CURRENT);
      r.price=OrderGetDouble(ORDER_PRICE_OPEN);
      r.symbol=OrderGetString(ORDER_SYMBOL);
      r.message="recovered after a restart: found the pending order of this command";
      return;
     }
   //--- an order that reached the server and ended without a fill
   int pastTotal=HistoryOrdersTotal();
   for(int i=pastTotal-1; i>=0; i--)
     {
      ulong ticket=HistoryOrderGetTicket(i);
      if(ticket==0 || HistoryOrderGetString(ticket,ORDER_COMMENT)!=commandId)
         continue;
      r.retcode=RC_CANCEL;
      r.order=ticket;
      r.symbol=HistoryOrderGetString(ticket,ORDER_SYMBOL);
      r.message="recovered after a restart: the order of this command ended unfilled";
      return;
     }
   r.retcode=RC_ERROR;
   r.message="interrupted before its outcome was recorded and no order of this command exists; not sent again";
  }
#endif
