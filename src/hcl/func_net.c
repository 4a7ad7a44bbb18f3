/* func_net.c — IP network functions: cidrhost cidrnetmask cidrsubnet cidrsubnets, with Terraform's
 * semantics (hashicorp/go-cidr) on IPv4 and IPv6 prefixes. Addresses are 128-bit integers here. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "hcl/funcutil.h"
#include "util/mem.h"

#define P(n, t) {n, t, 0}
#define END {NULL, NULL, 0}

typedef unsigned __int128 u128;

struct cidr {
	u128 addr;   /* network address (host bits cleared) */
	int bits;    /* 32 or 128 */
	int prefix;
};

static int parse_cidr(const char *s, struct cidr *c)
{
	const char *slash = strchr(s, '/');
	if (!slash)
		return -1;
	char *ip = xstrndup(s, (size_t)(slash - s));
	const char *pl = slash + 1;
	int prefix = 0;
	if (!*pl || strlen(pl) > 3) {
		free(ip);
		return -1;
	}
	for (const char *q = pl; *q; q++) {
		if (*q < '0' || *q > '9') {
			free(ip);
			return -1;
		}
		prefix = prefix * 10 + (*q - '0');
	}
	if (pl[0] == '0' && pl[1]) {
		free(ip);
		return -1;
	}
	unsigned char b[16];
	u128 a = 0;
	if (inet_pton(AF_INET, ip, b) == 1) {
		c->bits = 32;
		for (int i = 0; i < 4; i++)
			a = (a << 8) | b[i];
	} else if (inet_pton(AF_INET6, ip, b) == 1) {
		c->bits = 128;
		for (int i = 0; i < 16; i++)
			a = (a << 8) | b[i];
	} else {
		free(ip);
		return -1;
	}
	free(ip);
	if (prefix > c->bits)
		return -1;
	c->prefix = prefix;
	u128 mask = prefix == 0 ? 0 : (~(u128)0) << (128 - prefix);
	if (c->bits == 32)
		mask = prefix == 0 ? 0 : ((~(u128)0) << (32 - prefix)) & 0xffffffffu;
	c->addr = a & mask;
	return 0;
}

static char *fmt_addr(u128 a, int bits)
{
	char out[64];
	unsigned char b[16];
	if (bits == 32) {
		for (int i = 3; i >= 0; i--) {
			b[i] = (unsigned char)(a & 0xff);
			a >>= 8;
		}
		inet_ntop(AF_INET, b, out, sizeof(out));
	} else {
		for (int i = 15; i >= 0; i--) {
			b[i] = (unsigned char)(a & 0xff);
			a >>= 8;
		}
		/* Go prints IPv4-mapped addresses in dotted form */
		static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		if (memcmp(b, mapped, 12) == 0)
			inet_ntop(AF_INET, b + 12, out, sizeof(out));
		else
			inet_ntop(AF_INET6, b, out, sizeof(out));
	}
	return xstrdup(out);
}

static struct hcl_value *bad_cidr(struct hcl_call *c, const char *s)
{
	return hcl_call_error(c, "invalid CIDR expression: invalid CIDR address: %s", s);
}

static struct hcl_value *f_cidrhost(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	struct cidr net;
	if (parse_cidr(hcl_str(a[0]), &net) < 0)
		return bad_cidr(c, hcl_str(a[0]));
	long long host;
	if (hcl_arg_int(c, a, 1, &host) < 0)
		return NULL;
	int hostbits = net.bits - net.prefix;
	u128 max = hostbits >= 128 ? ~(u128)0 : (((u128)1) << hostbits) - 1;
	u128 h;
	if (host < 0) {
		u128 neg = (u128)(-(host + 1)) + 1;
		if (hostbits < 127 && neg > max + 1)
			return hcl_call_error(c, "prefix of %d does not accommodate a host numbered %lld", net.prefix, host);
		h = max + 1 - neg;
	} else {
		h = (u128)host;
		if (hostbits < 64 && h > max)
			return hcl_call_error(c, "prefix of %d does not accommodate a host numbered %lld", net.prefix, host);
	}
	return hcl_string_own(fmt_addr(net.addr | h, net.bits));
}

static struct hcl_value *f_cidrnetmask(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	struct cidr net;
	if (parse_cidr(hcl_str(a[0]), &net) < 0)
		return bad_cidr(c, hcl_str(a[0]));
	if (net.bits != 32)
		return hcl_call_error(c, "IPv6 addresses cannot have a netmask: %s", hcl_str(a[0]));
	u128 mask = net.prefix == 0 ? 0 : ((~(u128)0) << (32 - net.prefix)) & 0xffffffffu;
	return hcl_string_own(fmt_addr(mask, 32));
}

static int subnet(struct hcl_call *c, const struct cidr *net, long long newbits, long long num, struct cidr *out,
		  int argnum)
{
	if (newbits < 0) {
		hcl_call_error(c, "must extend prefix by at least one bit");
		return -1;
	}
	if (net->prefix + newbits > net->bits) {
		hcl_call_error(c, "insufficient address space to extend prefix of %d by %lld", net->prefix, newbits);
		return -1;
	}
	if (num < 0 || (newbits < 63 && (u128)num >= ((u128)1 << newbits))) {
		hcl_call_error(c, "prefix extension of %lld does not accommodate a subnet numbered %lld", newbits, num);
		return -1;
	}
	int newprefix = net->prefix + (int)newbits;
	out->bits = net->bits;
	out->prefix = newprefix;
	out->addr = net->addr | ((u128)num << (net->bits - newprefix));
	(void)argnum;
	return 0;
}

static struct hcl_value *f_cidrsubnet(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	struct cidr net, sub;
	if (parse_cidr(hcl_str(a[0]), &net) < 0)
		return bad_cidr(c, hcl_str(a[0]));
	long long newbits, num;
	if (hcl_arg_int(c, a, 1, &newbits) < 0 || hcl_arg_int(c, a, 2, &num) < 0)
		return NULL;
	if (subnet(c, &net, newbits, num, &sub, 2) < 0)
		return NULL;
	char *ip = fmt_addr(sub.addr, sub.bits);
	struct hcl_value *r = hcl_string_printf("%s/%d", ip, sub.prefix);
	free(ip);
	return r;
}

static struct hcl_value *f_cidrsubnets(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	struct cidr net;
	if (parse_cidr(hcl_str(a[0]), &net) < 0)
		return bad_cidr(c, hcl_str(a[0]));
	struct hcl_vec vec = HCL_VEC_INIT;
	u128 next = net.addr;
	int hostbits = net.bits - net.prefix;
	u128 end = hostbits >= 128 ? ~(u128)0 : net.addr + ((((u128)1) << hostbits) - 1);
	bool exhausted = false;
	for (size_t i = 1; i < n; i++) {
		long long nb;
		if (hcl_arg_int(c, a, i, &nb) < 0) {
			hcl_vec_free(&vec);
			return NULL;
		}
		if (nb < 1) {
			hcl_vec_free(&vec);
			return hcl_call_arg_error(c, (int)i, "must extend prefix by at least one bit");
		}
		if (net.prefix + nb > net.bits) {
			hcl_vec_free(&vec);
			return hcl_call_arg_error(c, (int)i, "would extend prefix to %lld bits, which is too long for an IPv%d address",
						  net.prefix + nb, net.bits == 32 ? 4 : 6);
		}
		int np = net.prefix + (int)nb;
		int sz = net.bits - np;
		u128 block = sz >= 128 ? 0 : ((u128)1) << sz;
		/* align next to the block size */
		if (block && (next & (block - 1)))
			next = (next | (block - 1)) + 1;
		if (exhausted || next > end || (block && next + (block - 1) > end)) {
			struct hcl_value *r = hcl_call_arg_error(c, (int)i,
				"not enough remaining address space for a subnet with a prefix of %d bits after %s",
				np, vec.n ? hcl_str(vec.v[vec.n - 1]) : hcl_str(a[0]));
			hcl_vec_free(&vec);
			return r;
		}
		char *ip = fmt_addr(next, net.bits);
		hcl_vec_push(&vec, hcl_string_printf("%s/%d", ip, np));
		free(ip);
		if (block == 0 || next + block - 1 == end)
			exhausted = true;
		else
			next += block;
	}
	return hcl_vec_to_list(&vec, HCL_T_STRING);
}

const struct hcl_func hcl_funcs_net[] = {
	{"cidrhost", (const struct hcl_param[]){P("prefix", "string"), P("hostnum", "number"), END}, NULL, "string",
	 f_cidrhost, "The address of a host in a network."},
	{"cidrnetmask", (const struct hcl_param[]){P("prefix", "string"), END}, NULL, "string", f_cidrnetmask,
	 "The netmask of an IPv4 network."},
	{"cidrsubnet", (const struct hcl_param[]){P("prefix", "string"), P("newbits", "number"), P("netnum", "number"), END},
	 NULL, "string", f_cidrsubnet, "A subnet of a network."},
	{"cidrsubnets", (const struct hcl_param[]){P("prefix", "string"), END},
	 &(const struct hcl_param){"newbits", "number", 0}, "list(string)", f_cidrsubnets,
	 "Consecutive subnets of a network."},
	{NULL, NULL, NULL, NULL, NULL, NULL},
};
