# mkblock HEADS KVHEADS HEADDIM WINDOW OUT: llama_block.graph with hidden 512 and the given attention shape
H=$1 KVH=$2 HD=$3 WIN=$4
QW=$((H*HD)) KW=$((KVH*HD))
python3 - "$H" "$KVH" "$HD" "$WIN" "$5" <<'PY'
import sys,re
H,KVH,HD,WIN=map(int,sys.argv[1:5]); out=sys.argv[5]
s=open('graphs/llama_block.graph').read()
s=s.replace('q4_1[','q4_k[')
s=s.replace('wq: weight q4_k[576,576]','wq: weight q4_k[%d,512]'%(H*HD))
s=s.replace('wo: weight q4_k[576,576]','wo: weight q4_k[512,%d]'%(H*HD))
s=s.replace('q4_k[192,576]','q4_k[%d,512]'%(KVH*HD))
s=s.replace('f32[C,192]','f32[C,%d]'%(KVH*HD)).replace('f32[T,192]','f32[T,%d]'%(KVH*HD))
s=s.replace('%q = matmul(%h, %wq) : f32[T,576]','%%q = matmul(%%h, %%wq) : f32[T,%d]'%(H*HD))
s=s.replace('%q_rot = rope(%q) {base = 100000.0, head_dim = 64, heads = 9, mode = "interleaved"} : f32[T,576]',
            '%%q_rot = rope(%%q) {base = 100000.0, head_dim = %d, heads = %d, mode = "interleaved"} : f32[T,%d]'%(HD,H,H*HD))
s=s.replace('head_dim = 64, heads = 3,','head_dim = %d, heads = %d,'%(HD,KVH))
w=', window = %d'%WIN if WIN else ''
s=s.replace('%att = attention(%q_rot, %kc, %vc) {head_dim = 64, heads = 9, kv_heads = 3, scale = 0.125} : f32[T,576]',
            '%%att = attention(%%q_rot, %%kc, %%vc) {head_dim = %d, heads = %d, kv_heads = %d, scale = %r%s} : f32[T,%d]'%(HD,H,KVH,HD**-0.5,w,H*HD))
s=s.replace('576','512')
open(out,'w').write(s)
PY
