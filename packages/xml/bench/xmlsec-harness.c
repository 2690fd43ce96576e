/*
 * libxmlsec1 reference for `npm run bench:xml` (packages/xml/bench/xml.ts), which compiles this file at run
 * time into a temporary directory:
 *
 *   gcc -O2 -o xmlsec-harness xmlsec-harness.c $(pkg-config --cflags --libs xmlsec1-openssl)
 *
 * Each operation loops inside this process (start-up, key loading and library initialisation are not
 * measured), timing every iteration with clock_gettime(CLOCK_MONOTONIC). Every iteration starts from text,
 * like the TypeScript side does:
 *
 *   sign     parse the template (message + empty ds:Signature), register Id, sign, serialize
 *   verify   parse the signed message, register Id, verify with the given public key (status checked)
 *   encrypt  parse the message, build an EncryptedData template (aes256-gcm, EncryptedKey rsa-oaep-mgf1p),
 *            encrypt the urn:obol:msg:1 Confidential element with a fresh AES-256 session key, serialize
 *   decrypt  parse the encrypted message, decrypt its EncryptedData with the RSA private key (result checked)
 *
 * Usage:
 *   xmlsec-harness info
 *   xmlsec-harness sign    <template.xml>  <ec-private.pem>  <warmup> <iterations> [<out.xml>]
 *   xmlsec-harness verify  <signed.xml>    <ec-public.pem>   <warmup> <iterations>
 *   xmlsec-harness encrypt <message.xml>   <rsa-public.pem>  <warmup> <iterations> [<out.xml>]
 *   xmlsec-harness decrypt <encrypted.xml> <rsa-private.pem> <warmup> <iterations> [<out.xml>]
 *
 * Prints one JSON line on stdout; any failure (including one invalid signature in the loop) prints a
 * message on stderr and exits non-zero. <out.xml> receives the result of the last iteration.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/valid.h>
#include <libxml/xmlversion.h>
#include <openssl/crypto.h>

#include <xmlsec/crypto.h>
#include <xmlsec/keysmngr.h>
#include <xmlsec/templates.h>
#include <xmlsec/version.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlenc.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

#define MSG_NS "urn:obol:msg:1"
#define KEY_NAME "obol:bench:device"

static void die(const char *what) {
    fprintf(stderr, "xmlsec-harness: %s\n", what);
    exit(1);
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static char *read_file(const char *path, int *size) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) { fprintf(stderr, "xmlsec-harness: cannot open %s: %s\n", path, strerror(errno)); exit(1); }
    if (fseek(f, 0, SEEK_END) != 0) die("fseek");
    long length = ftell(f);
    if (length < 0 || length > (1L << 24)) die("input too large");
    rewind(f);
    char *buffer = malloc((size_t)length + 1);
    if (buffer == NULL) die("out of memory");
    if (fread(buffer, 1, (size_t)length, f) != (size_t)length) die("short read");
    fclose(f);
    buffer[length] = '\0';
    *size = (int)length;
    return buffer;
}

static void write_file(const char *path, const xmlChar *data, int size) {
    FILE *f = fopen(path, "wb");
    if (f == NULL) { fprintf(stderr, "xmlsec-harness: cannot write %s: %s\n", path, strerror(errno)); exit(1); }
    if (fwrite(data, 1, (size_t)size, f) != (size_t)size) die("short write");
    fclose(f);
}

static xmlDocPtr parse(const char *text, int size) {
    xmlDocPtr doc = xmlReadMemory(text, size, "message.xml", NULL, XML_PARSE_NONET);
    if (doc == NULL || xmlDocGetRootElement(doc) == NULL) die("cannot parse the document");
    return doc;
}

/* What `xmlsec1 --id-attr:Id urn:obol:msg:1:Message` does: the root's Id attribute becomes an XML ID. */
static void register_id(xmlDocPtr doc) {
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlAttrPtr attr = xmlHasProp(root, BAD_CAST "Id");
    if (attr == NULL) die("the document element has no Id");
    xmlChar *value = xmlNodeListGetString(doc, attr->children, 1);
    if (value == NULL || xmlAddID(NULL, doc, value, attr) == NULL) die("xmlAddID failed");
    xmlFree(value);
}

static xmlSecKeyPtr load_key(const char *path, const char *name) {
    xmlSecKeyPtr key = xmlSecCryptoAppKeyLoad(path, xmlSecKeyDataFormatPem, NULL, NULL, NULL);
    if (key == NULL) die("cannot load the key");
    if (name != NULL && xmlSecKeySetName(key, BAD_CAST name) < 0) die("xmlSecKeySetName failed");
    return key;
}

static xmlSecKeysMngrPtr keys_manager_with(xmlSecKeyPtr key) {
    xmlSecKeysMngrPtr manager = xmlSecKeysMngrCreate();
    if (manager == NULL || xmlSecCryptoAppDefaultKeysMngrInit(manager) < 0) die("cannot create a keys manager");
    if (xmlSecCryptoAppDefaultKeysMngrAdoptKey(manager, key) < 0) die("cannot add the key to the keys manager");
    return manager;
}

/* ── the four operations: one call = one iteration; `out` (if not NULL) receives the serialized result ── */

struct context {
    const char *input;
    int input_size;
    xmlSecKeyPtr key;              /* sign / verify */
    xmlSecKeysMngrPtr manager;     /* encrypt / decrypt */
};

static void op_sign(struct context *c, xmlChar **out, int *out_size) {
    xmlDocPtr doc = parse(c->input, c->input_size);
    register_id(doc);
    xmlNodePtr node = xmlSecFindNode(xmlDocGetRootElement(doc), xmlSecNodeSignature, xmlSecDSigNs);
    if (node == NULL) die("no ds:Signature template");
    xmlSecDSigCtxPtr ctx = xmlSecDSigCtxCreate(NULL);
    if (ctx == NULL) die("xmlSecDSigCtxCreate failed");
    ctx->signKey = xmlSecKeyDuplicate(c->key);
    if (ctx->signKey == NULL) die("xmlSecKeyDuplicate failed");
    if (xmlSecDSigCtxSign(ctx, node) < 0) die("signing failed");
    xmlChar *text = NULL;
    int size = 0;
    xmlDocDumpMemory(doc, &text, &size);
    if (text == NULL || size <= 0) die("cannot serialize the signed document");
    if (out != NULL) { *out = text; *out_size = size; } else xmlFree(text);
    xmlSecDSigCtxDestroy(ctx);
    xmlFreeDoc(doc);
}

static void op_verify(struct context *c, xmlChar **out, int *out_size) {
    (void)out; (void)out_size;
    xmlDocPtr doc = parse(c->input, c->input_size);
    register_id(doc);
    xmlNodePtr node = xmlSecFindNode(xmlDocGetRootElement(doc), xmlSecNodeSignature, xmlSecDSigNs);
    if (node == NULL) die("no ds:Signature");
    xmlSecDSigCtxPtr ctx = xmlSecDSigCtxCreate(NULL);
    if (ctx == NULL) die("xmlSecDSigCtxCreate failed");
    ctx->signKey = xmlSecKeyDuplicate(c->key);
    if (ctx->signKey == NULL) die("xmlSecKeyDuplicate failed");
    if (xmlSecDSigCtxVerify(ctx, node) < 0) die("verification failed (error)");
    if (ctx->status != xmlSecDSigStatusSucceeded) die("verification failed: the signature is INVALID");
    xmlSecDSigCtxDestroy(ctx);
    xmlFreeDoc(doc);
}

static void op_encrypt(struct context *c, xmlChar **out, int *out_size) {
    xmlDocPtr doc = parse(c->input, c->input_size);
    xmlNodePtr target = xmlSecFindNode(xmlDocGetRootElement(doc), BAD_CAST "Confidential", BAD_CAST MSG_NS);
    if (target == NULL) die("no Confidential element to encrypt");
    xmlNodePtr tmpl = xmlSecTmplEncDataCreate(doc, xmlSecTransformAes256GcmId, NULL, xmlSecTypeEncElement, NULL, NULL);
    if (tmpl == NULL || xmlSecTmplEncDataEnsureCipherValue(tmpl) == NULL) die("cannot build the EncryptedData template");
    xmlNodePtr keyInfo = xmlSecTmplEncDataEnsureKeyInfo(tmpl, NULL);
    if (keyInfo == NULL) die("cannot add KeyInfo");
    xmlNodePtr encryptedKey = xmlSecTmplKeyInfoAddEncryptedKey(keyInfo, xmlSecTransformRsaOaepId, NULL, NULL, NULL);
    if (encryptedKey == NULL || xmlSecTmplEncDataEnsureCipherValue(encryptedKey) == NULL) die("cannot add EncryptedKey");
    xmlSecEncCtxPtr ctx = xmlSecEncCtxCreate(c->manager);
    if (ctx == NULL) die("xmlSecEncCtxCreate failed");
    ctx->encKey = xmlSecKeyGenerate(xmlSecKeyDataAesId, 256, xmlSecKeyDataTypeSession);
    if (ctx->encKey == NULL) die("cannot generate the AES-256 session key");
    if (xmlSecEncCtxXmlEncrypt(ctx, tmpl, target) < 0) die("encryption failed");
    /* the template replaced the Confidential element, which xmlSecReplaceNode freed */
    xmlChar *text = NULL;
    int size = 0;
    xmlDocDumpMemory(doc, &text, &size);
    if (text == NULL || size <= 0) die("cannot serialize the encrypted document");
    if (out != NULL) { *out = text; *out_size = size; } else xmlFree(text);
    xmlSecEncCtxDestroy(ctx);
    xmlFreeDoc(doc);
}

static void op_decrypt(struct context *c, xmlChar **out, int *out_size) {
    xmlDocPtr doc = parse(c->input, c->input_size);
    xmlNodePtr node = xmlSecFindNode(xmlDocGetRootElement(doc), xmlSecNodeEncryptedData, xmlSecEncNs);
    if (node == NULL) die("no EncryptedData");
    xmlSecEncCtxPtr ctx = xmlSecEncCtxCreate(c->manager);
    if (ctx == NULL) die("xmlSecEncCtxCreate failed");
    if (xmlSecEncCtxDecrypt(ctx, node) < 0 || ctx->result == NULL) die("decryption failed");
    if (!ctx->resultReplaced) die("the decrypted element did not replace the EncryptedData");
    if (out != NULL) {
        xmlDocDumpMemory(doc, out, out_size);
        if (*out == NULL) die("cannot serialize the decrypted document");
    }
    xmlSecEncCtxDestroy(ctx);
    xmlFreeDoc(doc);
}

/* ── timing ── */

static int compare_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static uint64_t percentile(const uint64_t *sorted, long n, double p) {
    long i = (long)(p / 100.0 * (double)n);
    if (i > n - 1) i = n - 1;
    return sorted[i];
}

static long parse_count(const char *text, long min) {
    char *end = NULL;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < min || value > 100000000L) die("bad iteration count");
    return value;
}

static void print_info(void) {
    int libxml = atoi(xmlParserVersion); /* "20914" = 2.9.14, the library actually loaded */
    printf("{\"xmlsec\":\"%s\",\"xmlsecCrypto\":\"openssl\",\"libxml2\":\"%d.%d.%d\",\"openssl\":\"%s\"}\n",
           XMLSEC_VERSION, libxml / 10000, (libxml / 100) % 100, libxml % 100, OpenSSL_version(OPENSSL_VERSION));
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "info") == 0) {
        print_info();
        return 0;
    }
    if (argc != 6 && argc != 7) {
        fprintf(stderr, "usage: xmlsec-harness info | sign|verify|encrypt|decrypt <input.xml> <key.pem> <warmup> <iterations> [<out.xml>]\n");
        return 2;
    }
    const char *op = argv[1];
    void (*run)(struct context *, xmlChar **, int *) = NULL;
    if (strcmp(op, "sign") == 0) run = op_sign;
    else if (strcmp(op, "verify") == 0) run = op_verify;
    else if (strcmp(op, "encrypt") == 0) run = op_encrypt;
    else if (strcmp(op, "decrypt") == 0) run = op_decrypt;
    else die("unknown operation");
    long warmup = parse_count(argv[4], 0);
    long iterations = parse_count(argv[5], 1);
    const char *out_path = argc == 7 ? argv[6] : NULL;

    xmlInitParser();
    LIBXML_TEST_VERSION
    if (xmlSecInit() < 0) die("xmlSecInit failed");
    if (xmlSecCheckVersion() != 1) die("the loaded libxmlsec1 is not the version of the headers");
    if (xmlSecCryptoAppInit(NULL) < 0) die("xmlSecCryptoAppInit failed");
    if (xmlSecCryptoInit() < 0) die("xmlSecCryptoInit failed");

    struct context c = { 0 };
    c.input = read_file(argv[2], &c.input_size);
    if (run == op_sign || run == op_verify) {
        c.key = load_key(argv[3], KEY_NAME);
    } else {
        c.manager = keys_manager_with(load_key(argv[3], NULL));
    }

    for (long i = 0; i < warmup; i++) run(&c, NULL, NULL);

    uint64_t *samples = malloc(sizeof(uint64_t) * (size_t)iterations);
    if (samples == NULL) die("out of memory");
    xmlChar *last = NULL;
    int last_size = 0;
    uint64_t started = now_ns();
    for (long i = 0; i < iterations; i++) {
        int keep = out_path != NULL && i == iterations - 1;
        uint64_t t0 = now_ns();
        run(&c, keep ? &last : NULL, keep ? &last_size : NULL);
        samples[i] = now_ns() - t0;
    }
    uint64_t total = now_ns() - started;

    if (out_path != NULL && last != NULL) {
        write_file(out_path, last, last_size);
        xmlFree(last);
    }
    qsort(samples, (size_t)iterations, sizeof(uint64_t), compare_u64);
    printf("{\"op\":\"%s\",\"warmup\":%ld,\"iterations\":%ld,\"totalNs\":%llu,\"p50Ns\":%llu,\"p99Ns\":%llu}\n",
           op, warmup, iterations, (unsigned long long)total,
           (unsigned long long)percentile(samples, iterations, 50), (unsigned long long)percentile(samples, iterations, 99));
    free(samples);

    if (c.key != NULL) xmlSecKeyDestroy(c.key);
    if (c.manager != NULL) xmlSecKeysMngrDestroy(c.manager);
    free((void *)c.input);
    xmlSecCryptoShutdown();
    xmlSecCryptoAppShutdown();
    xmlSecShutdown();
    xmlCleanupParser();
    return 0;
}
