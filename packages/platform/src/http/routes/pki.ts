import { z } from "zod";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { ocspRequestBytesMax, csrBytesMax } from "@obol/pki";
import { ApiError } from "../../errors/api-errors.js";
import type { RouteContext } from "../context.js";
import { fromPemOrBase64, toPem } from "../pem.js";
import { msisdn } from "../schemas.js";
import { security } from "../openapi.js";
import { binary, certificatePem } from "../views.js";

const bearer = security.user;
const revoked = z.object({ serial: z.string(), status: z.literal("revoked") });
const certificateStatus = z.enum(["good", "revoked"]);
const reason = z.enum(["unspecified", "keyCompromise", "affiliationChanged", "superseded", "cessationOfOperation"]);
const serial = z.string().regex(/^[0-9a-f]{2,40}$/);

/** The platform PKI over HTTP: CA certificates, CRL, OCSP (RFC 6960), enrolment, directory, revocation. */
export function pkiRoutes(ctx: RouteContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.addContentTypeParser("application/ocsp-request", { parseAs: "buffer", bodyLimit: ocspRequestBytesMax }, (_request, body, done) => done(null, body));

    app.get("/pki/ca", { schema: { tags: ["pki"], summary: "The platform's root and issuing CA and its service certificates (PEM)",
      response: { 200: z.object({ root: certificatePem, issuing: certificatePem, signing: certificatePem, encryption: certificatePem }) } } }, async () => {
      const { root, issuing, signing, encryption } = ctx.pki.keys;
      return { root: toPem(root.certificateDer, "CERTIFICATE"), issuing: toPem(issuing.certificateDer, "CERTIFICATE"), signing: toPem(signing.certificateDer, "CERTIFICATE"), encryption: toPem(encryption.certificateDer, "CERTIFICATE") };
    });

    app.get("/pki/crl", { schema: { tags: ["pki"], summary: "The issuing CA's certificate revocation list (DER, RFC 5280 §5)", response: { 200: binary("application/pkix-crl", "The CRL, DER") } } }, async (_request, reply) => {
      return reply.type("application/pkix-crl").send(Buffer.from(await ctx.pki.crl()));
    });

    app.post("/pki/ocsp", { schema: { tags: ["pki"], summary: "OCSP responder (RFC 6960), POST application/ocsp-request", consumes: ["application/ocsp-request"],
      body: z.any().meta({ description: "An OCSPRequest, DER", type: "string", format: "binary" }),
      response: { 200: binary("application/ocsp-response", "An OCSPResponse, DER (malformedRequest for bytes that are not an OCSP request)") } } }, async (request, reply) => {
      if (!Buffer.isBuffer(request.body)) throw new ApiError("ERR_UNSUPPORTED_MEDIA_TYPE");
      return reply.type("application/ocsp-response").send(Buffer.from(await ctx.pki.ocsp(new Uint8Array(request.body))));
    });

    app.get("/pki/ocsp/:request", {
      schema: { tags: ["pki"], summary: "OCSP responder, GET with the base64 request in the path (RFC 6960 A.1)", params: z.strictObject({ request: z.string().max(2 * ocspRequestBytesMax) }),
        response: { 200: binary("application/ocsp-response", "An OCSPResponse, DER (malformedRequest for bytes that are not an OCSP request)") } },
    }, async (request, reply) => {
      // The router has already percent-decoded the parameter (RFC 6960 A.1: base64, then URL-encoded); decoding it
      // again would misread a literal "%" (and throw on "%25"). Bytes that are not base64 give malformedRequest.
      const der = Buffer.from(request.params.request, "base64");
      return reply.type("application/ocsp-response").send(Buffer.from(await ctx.pki.ocsp(new Uint8Array(der))));
    });

    app.post("/v1/admin/enrolment-codes", {
      schema: { tags: ["admin"], summary: "Issue a one-time enrolment code for a user's device (admin, support); give it to the user out of band", security: security.operator, body: z.strictObject({ msisdn }),
        response: { 201: z.object({ code: z.string(), expiresAt: z.string() }) } },
      config: { errors: ["ERR_NOT_FOUND"] },
    }, async (request, reply) => {
      const operator = await ctx.callers.operator(request, ["admin", "support"]);
      const user = await ctx.parties.userByMsisdn(request.body.msisdn);
      if (user === undefined) throw new ApiError("ERR_NOT_FOUND", "No user has that MSISDN");
      const issued = await ctx.pki.codes.issue("user", user.id);
      await ctx.audit.append({ actorType: "operator", actorId: operator.operatorId, action: "pki.enrolment_code_issued", subject: `user:${user.id}`, details: {} });
      return reply.code(201).send({ code: issued.code, expiresAt: issued.expiresAt.toISOString() });
    });

    app.post("/v1/pki/enrol", {
      schema: {
        tags: ["pki"], summary: "Enrol a device: the user's CSR (P-256; RSA 2048-4096 where legacy RSA devices are enabled) and enrolment code give a certificate", security: bearer,
        body: z.strictObject({ code: z.string().min(12).max(20), csr: z.string().min(16).max(2 * csrBytesMax).meta({ description: "PKCS#10, PEM or base64 DER" }) }),
        response: {
          201: z.object({
            serial: z.string(), compactId: z.string(), notAfter: z.string(), certificate: certificatePem, chain: z.array(certificatePem),
            platform: z.object({ signing: certificatePem, encryption: certificatePem }),
          }),
        },
      },
      config: { errors: ["ERR_CSR_INVALID", "ERR_CSR_KEY_UNSUPPORTED", "ERR_ENROLMENT_CODE_INVALID", "ERR_ENROLMENT_CODE_EXPIRED", "ERR_ENROLMENT_CODE_LOCKED"] },
    }, async (request, reply) => {
      const user = await ctx.callers.user(request);
      const csrDer = fromPemOrBase64(request.body.csr, "CERTIFICATE REQUEST");
      if (csrDer === undefined) throw new ApiError("ERR_CSR_INVALID");
      const enrolled = await ctx.pki.enrol({ partyType: "user", partyId: user.id, msisdn: user.msisdn, code: request.body.code, csrDer });
      if (!enrolled.ok) throw new ApiError(enrolled.code);
      const { keys } = ctx.pki;
      return reply.code(201).send({
        serial: enrolled.certificate.serial, compactId: enrolled.certificate.compactId, notAfter: enrolled.certificate.notAfter.toISOString(),
        certificate: toPem(enrolled.certificate.certificateDer, "CERTIFICATE"),
        chain: [toPem(keys.issuing.certificateDer, "CERTIFICATE"), toPem(keys.root.certificateDer, "CERTIFICATE")],
        platform: { signing: toPem(keys.signing.certificateDer, "CERTIFICATE"), encryption: toPem(keys.encryption.certificateDer, "CERTIFICATE") },
      });
    });

    app.get("/v1/pki/certificates/:compactId", {
      schema: { tags: ["pki"], summary: "Look a certificate up by its compact identifier", params: z.strictObject({ compactId: z.string().regex(/^[A-Za-z0-9_-]{22}$/) }),
        response: { 200: z.object({ serial: z.string(), compactId: z.string(), status: certificateStatus, notAfter: z.string(), certificate: certificatePem }) } },
      config: { errors: ["ERR_CERTIFICATE_NOT_FOUND"] },
    }, async (request) => {
      const found = await ctx.pki.byCompactId(request.params.compactId);
      if (found === undefined) throw new ApiError("ERR_CERTIFICATE_NOT_FOUND");
      return { serial: found.serial, compactId: found.compactId, status: found.revokedAt === null ? "good" as const : "revoked" as const, notAfter: found.notAfter.toISOString(), certificate: toPem(found.certificateDer, "CERTIFICATE") };
    });

    app.get("/v1/me/certificates", { schema: { tags: ["pki"], summary: "The caller's device certificates", security: bearer,
      response: { 200: z.object({ certificates: z.array(z.object({ serial: z.string(), compactId: z.string(), notAfter: z.string(), status: certificateStatus })) }) } } }, async (request) => {
      const user = await ctx.callers.user(request);
      const certificates = await ctx.pki.ofParty("user", user.id);
      return { certificates: certificates.map((c) => ({ serial: c.serial, compactId: c.compactId, notAfter: c.notAfter.toISOString(), status: c.revokedAt === null ? "good" as const : "revoked" as const })) };
    });

    app.post("/v1/me/certificates/:serial/revoke", {
      schema: { tags: ["pki"], summary: "Revoke one of the caller's certificates (lost or stolen phone)", security: bearer, params: z.strictObject({ serial }), response: { 200: revoked } },
      config: { errors: ["ERR_CERTIFICATE_NOT_FOUND"] },
    }, async (request) => {
      const user = await ctx.callers.user(request);
      const certificate = await ctx.pki.bySerial(request.params.serial);
      if (certificate === undefined || certificate.partyType !== "user" || certificate.partyId !== user.id) throw new ApiError("ERR_CERTIFICATE_NOT_FOUND");
      await ctx.pki.revoke(request.params.serial, "keyCompromise", { type: "user", id: user.id });
      return { serial: request.params.serial, status: "revoked" as const };
    });

    app.post("/v1/admin/certificates/:serial/revoke", {
      schema: { tags: ["admin"], summary: "Revoke a certificate (admin, risk)", security: security.operator, params: z.strictObject({ serial }), body: z.strictObject({ reason }), response: { 200: revoked } },
      config: { errors: ["ERR_CERTIFICATE_NOT_FOUND"] },
    }, async (request) => {
      const operator = await ctx.callers.operator(request, ["admin", "risk"]);
      if ((await ctx.pki.bySerial(request.params.serial)) === undefined) throw new ApiError("ERR_CERTIFICATE_NOT_FOUND");
      await ctx.pki.revoke(request.params.serial, request.body.reason, { type: "operator", id: operator.operatorId });
      return { serial: request.params.serial, status: "revoked" as const };
    });
  };
}
