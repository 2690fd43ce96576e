/**
 * The platform's fee on a payment: a fixed part plus basis points of the amount, rounded down
 * (the payer never pays a fraction of a minor unit more than the published rate), never above the
 * amount. Pure; integer arithmetic only.
 */
export interface FeeSchedule {
  /** Minor units per payment. */
  fixedMinor: bigint;
  /** 1 basis point = 0.01 %. */
  rateBasisPoints: bigint;
}

export const basisPointsMax = 10_000n;

export function feeFor(amount: bigint, schedule: FeeSchedule): bigint {
  if (amount <= 0n) throw new Error(`fee of a non-positive amount ${amount}`);
  if (schedule.fixedMinor < 0n || schedule.rateBasisPoints < 0n || schedule.rateBasisPoints > basisPointsMax) throw new Error("bad fee schedule");
  const fee = schedule.fixedMinor + (amount * schedule.rateBasisPoints) / basisPointsMax;
  return fee > amount ? amount : fee;
}
