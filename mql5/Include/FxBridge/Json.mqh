//+------------------------------------------------------------------+
//| Json.mqh - a small JSON reader and writer for the bridge          |
//|                                                                  |
//| Reader: requests are at most MAX_REQUEST_BYTES, so the reader     |
//| builds a small tree (JsonNode) with a depth and node limit; a     |
//| malformed or hostile request costs a bounded amount of work and   |
//| ends as an ERROR reply, never as a crash of the EA.               |
//|                                                                  |
//| Writer: replies can hold up to MAX_PAGE positions or deals, so    |
//| the writer never grows one huge MQL5 string: it appends to a      |
//| current piece and moves it into a list of pieces when it reaches  |
//| JSON_PIECE_CHARS; ToBytes() converts piece by piece. The output   |
//| is pure ASCII (non-ASCII characters are written as \uXXXX and a   |
//| lone UTF-16 surrogate becomes U+FFFD), so a broker's odd comment  |
//| can never make the whole reply invalid UTF-8, and the character   |
//| count is the byte count.                                          |
//+------------------------------------------------------------------+
#ifndef FXBRIDGE_JSON_MQH
#define FXBRIDGE_JSON_MQH

#define JSON_MAX_DEPTH    16
#define JSON_MAX_NODES    2048
#define JSON_MAX_NUMBER   40
#define JSON_PIECE_CHARS  16384
#define JSON_MAX_LEVELS   32

enum ENUM_JSON_KIND
  {
   JSON_NULL=0,
   JSON_BOOL=1,
   JSON_NUMBER=2,
   JSON_STRING=3,
   JSON_ARRAY=4,
   JSON_OBJECT=5
  };
//+------------------------------------------------------------------+
//| One value of a parsed document. Numbers keep their literal text  |
//| so a 64-bit ticket is never squeezed through a double.           |
//+------------------------------------------------------------------+
class JsonNode
  {
public:
   ENUM_JSON_KIND    kind;
   string            text;      // string value, or the number as written
   bool              flag;      // bool value
   bool              integral;  // a number without fraction or exponent
   string            keys[];    // object member names, parallel to items
   JsonNode         *items[];   // array elements or object member values

                     JsonNode(const ENUM_JSON_KIND k)
     {
      kind=k;
      text="";
      flag=false;
      integral=false;
     }
                    ~JsonNode()
     {
      int n=ArraySize(items);
      for(int i=0; i<n; i++)
         if(CheckPointer(items[i])==POINTER_DYNAMIC)
            delete items[i];
      ArrayFree(items);
      ArrayFree(keys);
     }
   int               Count() { return(ArraySize(items)); }
   void              Append(const string key,JsonNode *child)
     {
      int n=ArraySize(items);
      ArrayResize(items,n+1,16);
      ArrayResize(keys,n+1,16);
      items[n]=child;
      keys[n]=key;
     }
   //--- the member named key, or NULL; with duplicate keys the last one wins, as in msgspec
   JsonNode         *Member(const string key)
     {
      for(int i=ArraySize(keys)-1; i>=0; i--)
         if(keys[i]==key)
            return(items[i]);
      return(NULL);
     }
   JsonNode         *Item(const int i)
     {
      if(i<0 || i>=ArraySize(items))
         return(NULL);
      return(items[i]);
     }
  };
//+------------------------------------------------------------------+
//| Parses one JSON text into a JsonNode tree owned by the caller.   |
//+------------------------------------------------------------------+
class JsonParser
  {
private:
   string            m_src;
   int               m_len;
   int               m_pos;
   int               m_nodes;
   string            m_error;

   ushort            Peek()
     {
      if(m_pos>=m_len)
         return(0);
      return(StringGetCharacter(m_src,m_pos));
     }
   void              SkipSpace()
     {
      while(m_pos<m_len)
        {
         ushort c=StringGetCharacter(m_src,m_pos);
         if(c!=' ' && c!='\t' && c!='\n' && c!='\r')
            break;
         m_pos++;
        }
     }
   bool              Fail(const string why)
     {
      if(m_error=="")
         m_error=why+" at offset "+IntegerToString(m_pos);
      return(false);
     }
   JsonNode         *NewNode(const ENUM_JSON_KIND kind)
     {
      m_nodes++;
      if(m_nodes>JSON_MAX_NODES)
        {
         Fail("too many JSON values");
         return(NULL);
        }
      return(new JsonNode(kind));
     }
   static int        HexValue(const ushort c)
     {
      if(c>='0' && c<='9')
         return(c-'0');
      if(c>='a' && c<='f')
         return(c-'a'+10);
      if(c>='A' && c<='F')
         return(c-'A'+10);
      return(-1);
     }
   bool              ReadString(string &out);
   JsonNode         *ReadValue(const int depth);
   JsonNode         *ReadObject(const int depth);
   JsonNode         *ReadArray(const int depth);
   JsonNode         *ReadNumber();
   JsonNode         *ReadWord();

public:
                     JsonParser() { m_len=0; m_pos=0; m_nodes=0; m_error=""; }
   //--- the parsed tree (delete it when done), or NULL with Error() set
   JsonNode         *Parse(const string src);
   string            Error() { return(m_error); }
  };
//+------------------------------------------------------------------+
JsonNode *JsonParser::Parse(const string src)
  {
   m_src=src;
   m_len=StringLen(src);
   m_pos=0;
   m_nodes=0;
   m_error="";
   SkipSpace();
   JsonNode *root=ReadValue(0);
   if(root==NULL)
     {
      if(m_error=="")
         Fail("malformed JSON");
      return(NULL);
     }
   SkipSpace();
   if(m_pos!=m_len)
     {
      delete root;
      Fail("trailing characters after the JSON value");
      return(NULL);
     }
   return(root);
  }
//+------------------------------------------------------------------+
JsonNode *JsonParser::ReadValue(const int depth)
  {
   if(depth>JSON_MAX_DEPTH)
     {
      Fail("JSON nested too deeply");
      return(NULL);
     }
   ushort c=Peek();
   if(c=='{')
      return(ReadObject(depth));
   if(c=='[')
      return(ReadArray(depth));
   if(c=='"')
     {
      string s;
      if(!ReadString(s))
         return(NULL);
      JsonNode *node=NewNode(JSON_STRING);
      if(node!=NULL)
         node.text=s;
      return(node);
     }
   if(c=='-' || (c>='0' && c<='9'))
      return(ReadNumber());
   if(c=='t' || c=='f' || c=='n')
      return(ReadWord());
   Fail("unexpected character");
   return(NULL);
  }
//+------------------------------------------------------------------+
JsonNode *JsonParser::ReadObject(const int depth)
  {
   JsonNode *node=NewNode(JSON_OBJECT);
   if(node==NULL)
      return(NULL);
   m_pos++; // '{'
   SkipSpace();
   if(Peek()=='}')
     {
      m_pos++;
      return(node);
     }
   while(true)
     {
      SkipSpace();
      if(Peek()!='"')
        {
         Fail("expected a member name");
         delete node;
         return(NULL);
        }
      string key;
      if(!ReadString(key))
        {
         delete node;
         return(NULL);
        }
      SkipSpace();
      if(Peek()!=':')
        {
         Fail("expected ':'");
         delete node;
         return(NULL);
        }
      m_pos++;
      SkipSpace();
      JsonNode *value=ReadValue(depth+1);
      if(value==NULL)
        {
         delete node;
         return(NULL);
        }
      node.Append(key,value);
      SkipSpace();
      ushort c=Peek();
      if(c==',')
        {
         m_pos++;
         continue;
        }
      if(c=='}')
        {
         m_pos++;
         return(node);
        }
      Fail("expected ',' or '}'");
      delete node;
      return(NULL);
     }
   return(NULL);
  }
//+------------------------------------------------------------------+
JsonNode *JsonParser::ReadArray(const int depth)
  {
   JsonNode *node=NewNode(JSON_ARRAY);
   if(node==NULL)
      return(NULL);
   m_pos++; // '['
   SkipSpace();
   if(Peek()==']')
     {
      m_pos++;
      return(node);
     }
   while(true)
     {
      SkipSpace();
      JsonNode *value=ReadValue(depth+1);
      if(value==NULL)
        {
         delete node;
         return(NULL);
        }
      node.Append("",value);
      SkipSpace();
      ushort c=Peek();
      if(c==',')
        {
         m_pos++;
         continue;
        }
      if(c==']')
        {
         m_pos++;
         return(node);
        }
      Fail("expected ',' or ']'");
      delete node;
      return(NULL);
     }
   return(NULL);
  }
//+------------------------------------------------------------------+
//| Reads a string literal; runs without escapes are copied whole.   |
//+------------------------------------------------------------------+
bool JsonParser::ReadString(string &out)
  {
   out="";
   m_pos++; // opening quote
   int run=m_pos;
   while(m_pos<m_len)
     {
      ushort c=StringGetCharacter(m_src,m_pos);
      if(c=='"')
        {
         if(m_pos>run)
            out+=StringSubstr(m_src,run,m_pos-run);
         m_pos++;
         return(true);
        }
      if(c<0x20)
         return(Fail("control character in string"));
      if(c!='\\')
        {
         m_pos++;
         continue;
        }
      if(m_pos>run)
         out+=StringSubstr(m_src,run,m_pos-run);
      m_pos++;
      if(m_pos>=m_len)
         break;
      ushort e=StringGetCharacter(m_src,m_pos);
      m_pos++;
      if(e=='"')
         out+="\"";
      else
         if(e=='\\')
            out+="\\";
         else
            if(e=='/')
               out+="/";
            else
               if(e=='b')
                  out+=ShortToString(0x08);
               else
                  if(e=='f')
                     out+=ShortToString(0x0C);
                  else
                     if(e=='n')
                        out+="\n";
                     else
                        if(e=='r')
                           out+="\r";
                        else
                           if(e=='t')
                              out+="\t";
                           else
                              if(e=='u')
                                {
                                 if(m_pos+4>m_len)
                                    return(Fail("short \\u escape"));
                                 int code=0;
                                 for(int k=0; k<4; k++)
                                   {
                                    int h=HexValue(StringGetCharacter(m_src,m_pos+k));
                                    if(h<0)
                                       return(Fail("bad \\u escape"));
                                    code=code*16+h;
                                   }
                                 m_pos+=4;
                                 // NUL would end an MQL5 string early; no protocol value can hold it
                                 if(code==0)
                                    return(Fail("NUL character in string"));
                                 out+=ShortToString((ushort)code);
                                }
                              else
                                 return(Fail("bad escape"));
      run=m_pos;
     }
   return(Fail("unterminated string"));
  }
//+------------------------------------------------------------------+
//| Validates the JSON number grammar and keeps the literal text.    |
//+------------------------------------------------------------------+
JsonNode *JsonParser::ReadNumber()
  {
   int start=m_pos;
   bool integral=true;
   if(Peek()=='-')
      m_pos++;
   ushort c=Peek();
   if(c=='0')
      m_pos++;
   else
      if(c>='1' && c<='9')
        {
         while(Peek()>='0' && Peek()<='9')
            m_pos++;
        }
      else
        {
         Fail("bad number");
         return(NULL);
        }
   if(Peek()=='.')
     {
      integral=false;
      m_pos++;
      if(!(Peek()>='0' && Peek()<='9'))
        {
         Fail("bad number fraction");
         return(NULL);
        }
      while(Peek()>='0' && Peek()<='9')
         m_pos++;
     }
   c=Peek();
   if(c=='e' || c=='E')
     {
      integral=false;
      m_pos++;
      c=Peek();
      if(c=='+' || c=='-')
         m_pos++;
      if(!(Peek()>='0' && Peek()<='9'))
        {
         Fail("bad number exponent");
         return(NULL);
        }
      while(Peek()>='0' && Peek()<='9')
         m_pos++;
     }
   if(m_pos-start>JSON_MAX_NUMBER)
     {
      Fail("number too long");
      return(NULL);
     }
   JsonNode *node=NewNode(JSON_NUMBER);
   if(node==NULL)
      return(NULL);
   node.text=StringSubstr(m_src,start,m_pos-start);
   node.integral=integral;
   return(node);
  }
//+------------------------------------------------------------------+
JsonNode *JsonParser::ReadWord()
  {
   if(StringSubstr(m_src,m_pos,4)=="true")
     {
      m_pos+=4;
      JsonNode *t=NewNode(JSON_BOOL);
      if(t!=NULL)
         t.flag=true;
      return(t);
     }
   if(StringSubstr(m_src,m_pos,5)=="false")
     {
      m_pos+=5;
      return(NewNode(JSON_BOOL));
     }
   if(StringSubstr(m_src,m_pos,4)=="null")
     {
      m_pos+=4;
      return(NewNode(JSON_NULL));
     }
   Fail("unknown literal");
   return(NULL);
  }
//+------------------------------------------------------------------+
//| Integer value of a number node within the range of a long,       |
//| [-2^63, 2^63-1]; false for anything else (fractions, exponents,  |
//| out of range) - never a silent wrap-around.                      |
//+------------------------------------------------------------------+
bool JsonToLong(JsonNode *node,long &out)
  {
   if(node==NULL || node.kind!=JSON_NUMBER || !node.integral)
      return(false);
   string digits=node.text;
   bool negative=(StringGetCharacter(digits,0)=='-');
   if(negative)
      digits=StringSubstr(digits,1);
   int n=StringLen(digits);
   if(n>19)
      return(false);
   if(negative && digits=="9223372036854775808")
     {
      out=LONG_MIN; // -2^63 has no positive counterpart in a long
      return(true);
     }
   if(n==19 && StringCompare(digits,"9223372036854775807")>0)
      return(false);
   long value=StringToInteger(digits);
   out=negative ? -value : value;
   return(true);
  }
//+------------------------------------------------------------------+
//| A finite number (integers are numbers too, as in msgspec).       |
//+------------------------------------------------------------------+
bool JsonToDouble(JsonNode *node,double &out)
  {
   if(node==NULL || node.kind!=JSON_NUMBER)
      return(false);
   double value=StringToDouble(node.text);
   if(!MathIsValidNumber(value))
      return(false);
   out=value;
   return(true);
  }
//+------------------------------------------------------------------+
//| Decimal text for a double: up to `digits` decimals, trailing      |
//| zeros dropped; NaN and infinities (which JSON cannot carry)      |
//| become 0.                                                        |
//+------------------------------------------------------------------+
string JsonNumberText(const double value,const int digits)
  {
   if(!MathIsValidNumber(value))
      return("0");
   string s=DoubleToString(value,digits);
   if(StringFind(s,".")>=0)
     {
      int end=StringLen(s);
      while(end>0 && StringGetCharacter(s,end-1)=='0')
         end--;
      if(end>0 && StringGetCharacter(s,end-1)=='.')
         end--;
      s=StringSubstr(s,0,end);
     }
   if(s=="-0" || s=="" || s=="-")
      s="0";
   return(s);
  }
//+------------------------------------------------------------------+
//| A JSON string literal (with quotes) in pure ASCII.               |
//+------------------------------------------------------------------+
string JsonQuote(const string value)
  {
   int n=StringLen(value);
   string out="\"";
   int run=0;
   for(int i=0; i<n; i++)
     {
      ushort c=StringGetCharacter(value,i);
      if(c>=0x20 && c<0x7F && c!='"' && c!='\\')
         continue;
      if(i>run)
         out+=StringSubstr(value,run,i-run);
      run=i+1;
      if(c=='"')
         out+="\\\"";
      else
         if(c=='\\')
            out+="\\\\";
         else
            if(c=='\n')
               out+="\\n";
            else
               if(c=='\r')
                  out+="\\r";
               else
                  if(c=='\t')
                     out+="\\t";
                  else
                     if(c>=0xD800 && c<=0xDBFF && i+1<n
                        && StringGetCharacter(value,i+1)>=0xDC00 && StringGetCharacter(value,i+1)<=0xDFFF)
                       {
                        // a valid surrogate pair stays a pair of escapes
                        out+=StringFormat("\\u%04x\\u%04x",(int)c,(int)StringGetCharacter(value,i+1));
                        i++;
                        run=i+1;
                       }
                     else
                        if(c>=0xD800 && c<=0xDFFF)
                           out+="\\ufffd";
                        else
                           out+=StringFormat("\\u%04x",(int)c);
     }
   if(n>run)
      out+=StringSubstr(value,run,n-run);
   out+="\"";
   return(out);
  }
//+------------------------------------------------------------------+
//| Streaming writer. Members are written with Key*() inside objects,|
//| array elements with the value forms (Str, Long, Begin*).         |
//+------------------------------------------------------------------+
class JsonWriter
  {
private:
   string            m_pieces[];
   string            m_current;
   int               m_length;               // characters (= bytes) written so far
   bool              m_hasItem[JSON_MAX_LEVELS];
   int               m_level;
   bool              m_afterKey;

   void              Put(const string s)
     {
      m_current+=s;
      m_length+=StringLen(s);
      if(StringLen(m_current)>=JSON_PIECE_CHARS)
        {
         int n=ArraySize(m_pieces);
         ArrayResize(m_pieces,n+1,64);
         m_pieces[n]=m_current;
         m_current="";
        }
     }
   void              Separate()
     {
      if(m_afterKey)
        {
         m_afterKey=false;
         return;
        }
      if(m_level>0)
        {
         if(m_hasItem[m_level-1])
            Put(",");
         m_hasItem[m_level-1]=true;
        }
     }
   void              Open(const string bracket)
     {
      Separate();
      Put(bracket);
      if(m_level<JSON_MAX_LEVELS)
         m_hasItem[m_level]=false;
      m_level++;
     }
   void              Close(const string bracket)
     {
      if(m_level>0)
         m_level--;
      Put(bracket);
     }

public:
                     JsonWriter() { Reset(); }
   void              Reset()
     {
      ArrayFree(m_pieces);
      m_current="";
      m_length=0;
      m_level=0;
      m_afterKey=false;
      for(int i=0; i<JSON_MAX_LEVELS; i++)
         m_hasItem[i]=false;
     }
   int               Length() { return(m_length); }

   //--- values (array elements, or after Key())
   void              BeginObject() { Open("{"); }
   void              EndObject()   { Close("}"); }
   void              BeginArray()  { Open("["); }
   void              EndArray()    { Close("]"); }
   void              Str(const string v)  { Separate(); Put(JsonQuote(v)); }
   void              Long(const long v)   { Separate(); Put(IntegerToString(v)); }
   void              Ticket(const ulong v) { Separate(); Put(IntegerToString((long)v)); }
   void              Num(const double v,const int digits) { Separate(); Put(JsonNumberText(v,digits)); }
   void              Bool(const bool v)   { Separate(); Put(v ? "true" : "false"); }
   void              Null()               { Separate(); Put("null"); }
   //--- a complete JSON text written by this writer earlier (e.g. a stored outcome)
   void              Raw(const string json) { Separate(); Put(json); }

   //--- object members
   void              Key(const string name) { Separate(); Put(JsonQuote(name)); Put(":"); m_afterKey=true; }
   void              KeyStr(const string name,const string v)            { Key(name); Str(v); }
   void              KeyLong(const string name,const long v)             { Key(name); Long(v); }
   void              KeyTicket(const string name,const ulong v)          { Key(name); Ticket(v); }
   void              KeyNum(const string name,const double v,const int digits) { Key(name); Num(v,digits); }
   void              KeyBool(const string name,const bool v)             { Key(name); Bool(v); }
   void              KeyNull(const string name)                          { Key(name); Null(); }
   void              KeyRaw(const string name,const string json)         { Key(name); Raw(json); }
   void              KeyObject(const string name) { Key(name); BeginObject(); }
   void              KeyArray(const string name)  { Key(name); BeginArray(); }

   //--- the whole text; only for small documents (outcomes, events)
   string            Text()
     {
      string all="";
      int n=ArraySize(m_pieces);
      for(int i=0; i<n; i++)
         all+=m_pieces[i];
      return(all+m_current);
     }
   //--- the document as bytes, converted piece by piece; returns the byte count
   int               ToBytes(uchar &out[])
     {
      ArrayResize(out,m_length);
      int filled=0;
      int n=ArraySize(m_pieces);
      for(int i=0; i<=n; i++)
        {
         string piece=(i<n) ? m_pieces[i] : m_current;
         int len=StringLen(piece);
         if(len==0)
            continue;
         uchar tmp[];
         // ASCII only (JsonQuote escapes the rest), so one byte per character
         int copied=StringToCharArray(piece,tmp,0,len,CP_UTF8);
         if(copied>0 && tmp[copied-1]==0)
            copied--;
         if(filled+copied>ArraySize(out))
            ArrayResize(out,filled+copied);
         ArrayCopy(out,tmp,filled,0,copied);
         filled+=copied;
        }
      ArrayResize(out,filled);
      return(filled);
     }
  };
#endif
