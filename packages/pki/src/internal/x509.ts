// @peculiar/x509 resolves its algorithm providers through tsyringe, which throws "tsyringe requires a reflect
// polyfill" unless reflect-metadata is loaded first. Every module of this package imports @peculiar/x509
// through this file so the order holds no matter which entry point is loaded first.
import "reflect-metadata";

export * as x509 from "@peculiar/x509";
