//+------------------------------------------------------------------+
//| CommandLedger.mqh - the persisted record of processed command ids |
//|                                                                  |
//| Why: the executor may resend a TRADE whose reply it never saw     |
//| (timeout, reconnect, its own restart). A resent command id must   |
//| get the first outcome back and never trade again, also after the  |
//| EA or the terminal restarted (docs/protocol.md section           |
//| Idempotency).                                                     |
//|                                                                  |
//| How: a text file under MQL5/Files, one line per record:           |
//|    <commandId> TAB <state> TAB <outcome JSON>                     |
//| state "P" (pending) is written and flushed BEFORE OrderSend, and  |
//| state "D" (done) with the outcome is written and flushed BEFORE   |
//| the reply is sent. A command found only as "P" after a restart    |
//| was interrupted mid-flight; the caller then looks for its order   |
//| in the terminal (the command id is the order comment) instead of  |
//| trading again. The newest `capacity` ids are kept in memory (a    |
//| ring) and the file is compacted to them when it grows past twice  |
//| that. Outcome JSON is ASCII without tabs or newlines (JsonQuote   |
//| escapes them), so a line always splits cleanly.                   |
//+------------------------------------------------------------------+
#ifndef FXBRIDGE_COMMAND_LEDGER_MQH
#define FXBRIDGE_COMMAND_LEDGER_MQH

#define LEDGER_PENDING "P"
#define LEDGER_DONE    "D"

class CommandLedger
  {
private:
   string            m_file;
   int               m_capacity;
   int               m_handle;
   int               m_linesInFile;
   //--- ring of the newest entries; m_next is the slot written next
   string            m_ids[];
   ulong             m_hashes[];
   string            m_states[];
   string            m_outcomes[];
   int               m_count;
   int               m_next;
   string            m_error;

   static ulong      Hash(const string s)
     {
      // djb2 over UTF-16 code units: a cheap first filter before comparing strings
      // (small constants only: no literal beyond the range of long)
      ulong h=5381;
      int n=StringLen(s);
      for(int i=0; i<n; i++)
         h=h*33+(ulong)StringGetCharacter(s,i);
      return(h);
     }
   int               Find(const string commandId)
     {
      ulong h=Hash(commandId);
      // newest first: a resend is usually of a recent command
      for(int k=1; k<=m_count; k++)
        {
         int slot=(m_next-k+m_capacity)%m_capacity;
         if(m_hashes[slot]==h && m_ids[slot]==commandId)
            return(slot);
        }
      return(-1);
     }
   void              Remember(const string commandId,const string state,const string outcome)
     {
      int slot=Find(commandId);
      if(slot<0)
        {
         slot=m_next;
         m_next=(m_next+1)%m_capacity;
         if(m_count<m_capacity)
            m_count++;
        }
      m_ids[slot]=commandId;
      m_hashes[slot]=Hash(commandId);
      m_states[slot]=state;
      m_outcomes[slot]=outcome;
     }
   bool              OpenForAppend()
     {
      m_handle=FileOpen(m_file,FILE_READ|FILE_WRITE|FILE_TXT|FILE_ANSI|FILE_SHARE_READ);
      if(m_handle==INVALID_HANDLE)
        {
         m_error=StringFormat("cannot open %s for writing (error %d)",m_file,GetLastError());
         return(false);
        }
      FileSeek(m_handle,0,SEEK_END);
      return(true);
     }
   bool              Append(const string commandId,const string state,const string outcome)
     {
      if(m_handle==INVALID_HANDLE)
        {
         m_error="ledger file is not open";
         return(false);
        }
      string line=commandId+"\t"+state+"\t"+outcome+"\r\n";
      uint written=FileWriteString(m_handle,line);
      // the record must be on disk before the caller trades or replies
      FileFlush(m_handle);
      if(written<(uint)StringLen(line))
        {
         m_error=StringFormat("short write to %s (error %d)",m_file,GetLastError());
         return(false);
        }
      m_linesInFile++;
      if(m_linesInFile>2*m_capacity)
         return(Compact());
      return(true);
     }
   //--- rewrite the file with only the ring's entries, oldest first, via a temp file
   bool              Compact()
     {
      string temp=m_file+".tmp";
      int h=FileOpen(temp,FILE_WRITE|FILE_TXT|FILE_ANSI);
      if(h==INVALID_HANDLE)
        {
         m_error=StringFormat("cannot write %s (error %d)",temp,GetLastError());
         return(false);
        }
      for(int k=m_count; k>=1; k--)
        {
         int slot=(m_next-k+m_capacity)%m_capacity;
         FileWriteString(h,m_ids[slot]+"\t"+m_states[slot]+"\t"+m_outcomes[slot]+"\r\n");
        }
      FileFlush(h);
      FileClose(h);
      FileClose(m_handle);
      m_handle=INVALID_HANDLE;
      if(!FileMove(temp,0,m_file,FILE_REWRITE))
        {
         m_error=StringFormat("cannot replace %s (error %d)",m_file,GetLastError());
         OpenForAppend();
         return(false);
        }
      m_linesInFile=m_count;
      return(OpenForAppend());
     }

public:
                     CommandLedger()
     {
      m_handle=INVALID_HANDLE;
      m_capacity=0;
      m_count=0;
      m_next=0;
      m_linesInFile=0;
      m_error="";
     }
                    ~CommandLedger() { Close(); }

   //--- loads the file (creating it if absent); false with Error() if it cannot be used
   bool              Open(const string file,const int capacity)
     {
      m_file=file;
      m_capacity=MathMax(capacity,100);
      ArrayResize(m_ids,m_capacity);
      ArrayResize(m_hashes,m_capacity);
      ArrayResize(m_states,m_capacity);
      ArrayResize(m_outcomes,m_capacity);
      m_count=0;
      m_next=0;
      m_linesInFile=0;
      // the folder part of the name (e.g. "FxBridge") must exist before FileOpen
      int slash=StringFind(m_file,"\\");
      int last=-1;
      while(slash>=0)
        {
         last=slash;
         slash=StringFind(m_file,"\\",slash+1);
        }
      if(last>0)
         FolderCreate(StringSubstr(m_file,0,last));
      if(FileIsExist(m_file))
        {
         int h=FileOpen(m_file,FILE_READ|FILE_TXT|FILE_ANSI|FILE_SHARE_READ);
         if(h==INVALID_HANDLE)
           {
            m_error=StringFormat("cannot read %s (error %d)",m_file,GetLastError());
            return(false);
           }
         while(!FileIsEnding(h))
           {
            string line=FileReadString(h);
            int tab1=StringFind(line,"\t");
            int tab2=(tab1<0) ? -1 : StringFind(line,"\t",tab1+1);
            if(tab1<=0 || tab2<0)
               continue; // a torn last line from a crash mid-write: the command never got a reply
            m_linesInFile++;
            Remember(StringSubstr(line,0,tab1),StringSubstr(line,tab1+1,tab2-tab1-1),StringSubstr(line,tab2+1));
           }
         FileClose(h);
        }
      if(!OpenForAppend())
         return(false);
      if(m_linesInFile>2*m_capacity)
         return(Compact());
      return(true);
     }
   void              Close()
     {
      if(m_handle!=INVALID_HANDLE)
        {
         FileFlush(m_handle);
         FileClose(m_handle);
         m_handle=INVALID_HANDLE;
        }
     }
   string            Error() { return(m_error); }
   int               Size()  { return(m_count); }

   //--- whether the id is known; state is LEDGER_PENDING or LEDGER_DONE
   bool              Lookup(const string commandId,string &state,string &outcomeJson)
     {
      int slot=Find(commandId);
      if(slot<0)
         return(false);
      state=m_states[slot];
      outcomeJson=m_outcomes[slot];
      return(true);
     }
   //--- step 1, before OrderSend: the id is taken; false = do not trade
   bool              Begin(const string commandId)
     {
      if(!Append(commandId,LEDGER_PENDING,""))
         return(false);
      Remember(commandId,LEDGER_PENDING,"");
      return(true);
     }
   //--- step 2, before the reply: the outcome is final for this id
   bool              Complete(const string commandId,const string outcomeJson)
     {
      Remember(commandId,LEDGER_DONE,outcomeJson);
      return(Append(commandId,LEDGER_DONE,outcomeJson));
     }
  };
#endif
