//+------------------------------------------------------------------+
//| Server.mqh - the two ZeroMQ sockets of the EA                     |
//|                                                                  |
//| ROUTER (requests): the executor's DEALER sends one JSON frame;    |
//| the ROUTER prepends the peer's identity, so a request arrives as  |
//| exactly two frames [identity, body] and the reply goes back as    |
//| [identity, body]. Anything else gets an ERROR reply, as from the  |
//| simulator. PUB (events): [topic, body].                           |
//|                                                                  |
//| MQL5 has no threads: both sockets are polled without waiting from |
//| OnTimer (a millisecond timer) and OnTick, and every send is non-  |
//| blocking (a reply to a vanished peer is dropped by the ROUTER; a  |
//| slow subscriber loses events past the high-water mark and sees    |
//| the gap in seq). Both sockets are bound only on the configured    |
//| loopback endpoints: there is no authentication on them, so they   |
//| must never be reachable from another machine.                     |
//|                                                                  |
//| Needs mql-zmq 1.5 or later (Socket::sendMore), installed by the   |
//| user into MQL5/Include (see mql5/README.md).                      |
//+------------------------------------------------------------------+
#ifndef FXBRIDGE_SERVER_MQH
#define FXBRIDGE_SERVER_MQH

#include <Zmq/Zmq.mqh>
#include "Protocol.mqh"
#include "Json.mqh"
#include "Replies.mqh"

//--- how long OnInit keeps trying a port that a previous run is still releasing
#define BIND_ATTEMPTS      20
#define BIND_RETRY_MS      100
#define PUB_HIGH_WATER     100000

//+------------------------------------------------------------------+
//| "tcp://127.0.0.1:<port>" and nothing else                         |
//+------------------------------------------------------------------+
bool IsLoopbackEndpoint(const string endpoint)
  {
   string prefix="tcp://127.0.0.1:";
   if(StringFind(endpoint,prefix)!=0)
      return(false);
   string port=StringSubstr(endpoint,StringLen(prefix));
   int n=StringLen(port);
   if(n<1 || n>5)
      return(false);
   for(int i=0; i<n; i++)
     {
      ushort c=StringGetCharacter(port,i);
      if(c<'0' || c>'9')
         return(false);
     }
   long value=StringToInteger(port);
   return(value>=1 && value<=65535);
  }
//+------------------------------------------------------------------+
//| UTF-8 bytes of a string, without the terminating zero             |
//+------------------------------------------------------------------+
int Utf8Bytes(const string text,uchar &out[])
  {
   ArrayFree(out);
   if(StringLen(text)==0)
      return(0);
   int n=StringToCharArray(text,out,0,-1,CP_UTF8);
   if(n>0 && out[n-1]==0)
      n--;
   ArrayResize(out,n);
   return(n);
  }
//+------------------------------------------------------------------+
//| What the server hands each request body to                        |
//+------------------------------------------------------------------+
class RequestSink
  {
public:
   virtual void      Handle(const string body,JsonWriter &reply)=0;
  };
//+------------------------------------------------------------------+
class FxServer
  {
private:
   Context           m_context;
   Socket           *m_router;
   Socket           *m_publisher;
   string            m_error;

   bool              BindWithRetry(Socket *socket,const string endpoint)
     {
      for(int attempt=1; attempt<=BIND_ATTEMPTS; attempt++)
        {
         if(socket.bind(endpoint))
            return(true);
         // the previous run's listener may still be closing (chart change, recompile)
         Sleep(BIND_RETRY_MS);
        }
      m_error=StringFormat("cannot bind %s: %s",endpoint,Zmq::errorMessage());
      return(false);
     }
   bool              SendReply(const uchar &identity[],JsonWriter &reply)
     {
      uchar bytes[];
      reply.ToBytes(bytes);
      if(!m_router.sendMore(identity,true))
         return(false);
      return(m_router.send(bytes,true));
     }

public:
                     FxServer() { m_router=NULL; m_publisher=NULL; m_error=""; }
                    ~FxServer() { Stop(); }
   string            Error() { return(m_error); }

   //--- create both sockets and bind them; false with Error() on failure
   bool              Start(const string commandEndpoint,const string eventsEndpoint)
     {
      Stop();
      if(!IsLoopbackEndpoint(commandEndpoint) || !IsLoopbackEndpoint(eventsEndpoint))
        {
         m_error="endpoints must be tcp://127.0.0.1:<port> (the sockets have no authentication)";
         return(false);
        }
      if(commandEndpoint==eventsEndpoint)
        {
         m_error="the command and events endpoints must differ";
         return(false);
        }
      m_router=new Socket(m_context,ZMQ_ROUTER);
      m_publisher=new Socket(m_context,ZMQ_PUB);
      if(!m_router.valid() || !m_publisher.valid())
        {
         m_error="cannot create ZeroMQ sockets: "+Zmq::errorMessage();
         Stop();
         return(false);
        }
      // closing never waits for unsent messages: OnDeinit must return promptly
      m_router.setLinger(0);
      m_publisher.setLinger(0);
      m_publisher.setSendHighWaterMark(PUB_HIGH_WATER);
      // far beyond any valid request: ZeroMQ drops such a peer before buffering it;
      // anything between this and MAX_REQUEST_BYTES gets an ERROR reply
      m_router.setMaxMessageSize(MAX_REQUEST_BYTES*64);
      if(!BindWithRetry(m_router,commandEndpoint) || !BindWithRetry(m_publisher,eventsEndpoint))
        {
         string why=m_error;
         Stop();
         m_error=why;
         return(false);
        }
      return(true);
     }
   //--- close both sockets (linger 0); the context ends with the EA
   void              Stop()
     {
      if(CheckPointer(m_router)==POINTER_DYNAMIC)
         delete m_router;
      if(CheckPointer(m_publisher)==POINTER_DYNAMIC)
         delete m_publisher;
      m_router=NULL;
      m_publisher=NULL;
     }
   bool              Running() { return(m_router!=NULL); }

   //--- serve the requests waiting now, at most maxRequests; never blocks
   int               ServeRequests(RequestSink *sink,const int maxRequests)
     {
      if(m_router==NULL)
         return(0);
      int served=0;
      PollItem items[1];
      while(served<maxRequests)
        {
         m_router.fillPollItem(items[0],ZMQ_POLLIN);
         if(Socket::poll(items,0)<=0 || !items[0].hasInput())
            break;
         uchar identity[];
         uchar body[];
         int frames=0;
         int bodySize=0;
         while(true)
           {
            ZmqMsg frame;
            if(!m_router.recv(frame,true))
               break;
            frames++;
            int size=(int)frame.size();
            if(frames==1)
              {
               ArrayResize(identity,size);
               if(size>0)
                  frame.getData(identity);
              }
            else
               if(frames==2)
                 {
                  bodySize=size;
                  if(size>0 && size<=MAX_REQUEST_BYTES)
                    {
                     ArrayResize(body,size);
                     frame.getData(body);
                    }
                 }
            if(!frame.more())
               break;
           }
         if(frames==0)
            break;
         served++;
         JsonWriter reply;
         if(frames!=2)
            WriteErrorReply(reply,UNREADABLE_REQUEST_ID,ECODE_BAD_REQUEST,"expected exactly one frame per request","");
         else
            if(bodySize>MAX_REQUEST_BYTES)
               WriteErrorReply(reply,UNREADABLE_REQUEST_ID,ECODE_BAD_REQUEST,
                               StringFormat("message of %d bytes exceeds the limit of %d",bodySize,MAX_REQUEST_BYTES),"");
            else
              {
               string text=(bodySize>0) ? CharArrayToString(body,0,bodySize,CP_UTF8) : "";
               sink.Handle(text,reply);
              }
         if(!SendReply(identity,reply))
            PrintFormat("FxBridgeEA: reply not sent: %s",Zmq::errorMessage());
        }
      return(served);
     }

   //--- one event: topic frame, then the JSON frame
   bool              Publish(const string topic,JsonWriter &event)
     {
      if(m_publisher==NULL)
         return(false);
      uchar topicBytes[];
      uchar bytes[];
      Utf8Bytes(topic,topicBytes);
      event.ToBytes(bytes);
      if(!m_publisher.sendMore(topicBytes,true))
         return(false);
      return(m_publisher.send(bytes,true));
     }
  };
#endif
