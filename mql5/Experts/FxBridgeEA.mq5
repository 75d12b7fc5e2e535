//+------------------------------------------------------------------+
//| FxBridgeEA.mq5 - the executor's ZeroMQ server inside MetaTrader 5 |
//|                                                                  |
//| The fx-bridge executor talks to this EA over two loopback         |
//| sockets (docs/protocol.md section Terminal; fx_protocol/          |
//| terminal_wire.py is the specification):                          |
//|   ROUTER  CommandEndpoint  requests in, one reply per request     |
//|   PUB     EventsEndpoint   ticks, trade transactions, account,    |
//|                            heartbeat                              |
//| Install and inputs: mql5/README.md.                               |
//+------------------------------------------------------------------+
#property copyright   "fx-bridge"
#property version     "1.00"
#property description "fx-bridge: executes the executor's trade commands and publishes terminal events over ZeroMQ (loopback only)."

#include <FxBridge/Protocol.mqh>
#include <FxBridge/Retcodes.mqh>
#include <FxBridge/Json.mqh>
#include <FxBridge/Clock.mqh>
#include <FxBridge/TerminalState.mqh>
#include <FxBridge/Trading.mqh>
#include <FxBridge/CommandLedger.mqh>
#include <FxBridge/Server.mqh>
#include <FxBridge/Events.mqh>
#include <FxBridge/Requests.mqh>

//--- inputs (explained one by one in mql5/README.md)
input string CommandEndpoint="tcp://127.0.0.1:5555";  // Command endpoint (ROUTER, loopback only)
input string EventsEndpoint="tcp://127.0.0.1:5556";   // Events endpoint (PUB, loopback only)
input long   MagicFilter=0;                           // Magic filter: 0 = all; else only this magic
input double MaxLotPerOrder=1.0;                      // Hard max lots per opening order (0 = off)
input int    TimerMs=10;                              // Polling timer, milliseconds
input int    HeartbeatMs=1000;                        // Heartbeat period, milliseconds
input int    AccountUpdateMs=1000;                    // Account update check, milliseconds
input int    LedgerSize=10000;                        // Command ids remembered (idempotency)
input string LedgerFile="FxBridge\\ledger.txt";        // Command ledger file under MQL5\Files
input int    MaxRequestsPerPoll=64;                   // Requests served per timer/tick call

//--- the EA's parts; objects live as long as the EA, sockets from OnInit to OnDeinit
FxClock        g_clock;
FxServer       g_server;
CommandLedger  g_ledger;
FxTrading      g_trading;
FxEvents       g_events;
FxRequests     g_requests;
bool           g_running=false;

//+------------------------------------------------------------------+
//| Checks the inputs, loads the ledger, binds the sockets.           |
//+------------------------------------------------------------------+
int OnInit()
  {
   g_running=false;
   if(!IsLoopbackEndpoint(CommandEndpoint) || !IsLoopbackEndpoint(EventsEndpoint))
     {
      Print("FxBridgeEA: endpoints must be tcp://127.0.0.1:<port>; the sockets have no authentication and must stay on this machine");
      return(INIT_PARAMETERS_INCORRECT);
     }
   if(TimerMs<1 || TimerMs>1000 || HeartbeatMs<50 || AccountUpdateMs<50 || LedgerSize<100
      || MaxRequestsPerPoll<1 || MaxLotPerOrder<0.0 || MagicFilter<0)
     {
      Print("FxBridgeEA: an input is out of range (see mql5/README.md, Inputs)");
      return(INIT_PARAMETERS_INCORRECT);
     }
   if(!g_ledger.Open(LedgerFile,LedgerSize))
     {
      Print("FxBridgeEA: command ledger unusable, not starting: ",g_ledger.Error());
      return(INIT_FAILED);
     }
   g_trading.Configure(GetPointer(g_clock),MagicFilter,MaxLotPerOrder);
   if(!g_server.Start(CommandEndpoint,EventsEndpoint))
     {
      Print("FxBridgeEA: ",g_server.Error());
      g_ledger.Close();
      return(INIT_FAILED);
     }
   g_events.Configure(GetPointer(g_server),GetPointer(g_clock),NewInstanceId(),HeartbeatMs,AccountUpdateMs);
   //--- ticks of the chart's own symbol until the executor subscribes
   string initial[];
   string known[];
   string unknown[];
   ArrayResize(initial,1);
   initial[0]=_Symbol;
   g_events.Subscribe(initial,known,unknown);
   g_requests.Configure(GetPointer(g_trading),GetPointer(g_ledger),GetPointer(g_events),GetPointer(g_clock));
   if(!EventSetMillisecondTimer(TimerMs))
     {
      Print("FxBridgeEA: cannot start the timer, error ",GetLastError());
      g_server.Stop();
      g_ledger.Close();
      return(INIT_FAILED);
     }
   g_running=true;
   PrintFormat("FxBridgeEA ready: commands %s, events %s, instance %s, %d command ids remembered, zmq %s",
               CommandEndpoint,EventsEndpoint,g_events.Instance(),g_ledger.Size(),Zmq::getVersion());
   if(TerminalInfoInteger(TERMINAL_TRADE_ALLOWED)==0 || MQLInfoInteger(MQL_TRADE_ALLOWED)==0)
      Print("FxBridgeEA: trading is not allowed yet: switch on Algo Trading and the EA's own \"Allow Algo Trading\"");
   g_events.PublishHeartbeat();
   return(INIT_SUCCEEDED);
  }
//+------------------------------------------------------------------+
//| Stops the timer, closes the sockets (linger 0) and the ledger.    |
//+------------------------------------------------------------------+
void OnDeinit(const int reason)
  {
   EventKillTimer();
   g_running=false;
   g_server.Stop();
   g_ledger.Close();
   PrintFormat("FxBridgeEA stopped (reason %d)",reason);
  }
//+------------------------------------------------------------------+
//| One round of work: requests first (trades wait for nothing),      |
//| then ticks, then the periodic events.                             |
//+------------------------------------------------------------------+
void Pump()
  {
   if(!g_running)
      return;
   g_server.ServeRequests(GetPointer(g_requests),MaxRequestsPerPoll);
   g_events.PollTicks();
   g_events.Periodic();
  }
//+------------------------------------------------------------------+
void OnTimer()
  {
   Pump();
  }
//+------------------------------------------------------------------+
void OnTick()
  {
   Pump();
  }
//+------------------------------------------------------------------+
//| Every change on the account, also the ones this EA did not make   |
//| (manual trades, SL/TP, stop-out): published for the executor.     |
//+------------------------------------------------------------------+
void OnTradeTransaction(const MqlTradeTransaction &trans,
                        const MqlTradeRequest &request,
                        const MqlTradeResult &result)
  {
   if(!g_running)
      return;
   g_events.OnTransaction(trans);
  }
//+------------------------------------------------------------------+
