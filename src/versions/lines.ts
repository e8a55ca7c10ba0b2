// The two operator lines a run can deploy: Training Operator v1 (JAXJob, PyTorchJob, ...) and
// Kubeflow Trainer v2 (TrainJob on runtimes, with JobSet). Chosen with --operator.
import { ArgumentError } from "../catalog/errors.js";
import { OPERATOR_V1, TRAINER_V2, type PinnedTree } from "./pins.js";

export const OPERATOR_LINES = ["v1", "v2"] as const;
export type OperatorLine = (typeof OPERATOR_LINES)[number];
export const DEFAULT_OPERATOR_LINE: OperatorLine = "v1";

export const LINE_RELEASES: Record<OperatorLine, { title: string; release: PinnedTree }> = {
  v1: { title: "Training Operator v1", release: OPERATOR_V1 },
  v2: { title: "Kubeflow Trainer v2", release: TRAINER_V2 },
};

/** The --operator argument: "v1" (default when empty) or "v2". */
export function parseOperatorLine(value?: string | null): OperatorLine {
  const asked = (value ?? "").trim();
  if (asked === "") return DEFAULT_OPERATOR_LINE;
  if ((OPERATOR_LINES as readonly string[]).includes(asked)) return asked as OperatorLine;
  throw new ArgumentError(
    "operator",
    `"${value}" is not an operator line: use v1 (Training Operator ${OPERATOR_V1.tag}, JAXJob, MPIJob, PaddleJob, PyTorchJob, TFJob, XGBoostJob) or v2 (Kubeflow Trainer ${TRAINER_V2.tag}, TrainJob)`,
  );
}

/**
 * --operator, or when it is empty and --operator-source is given, the line of that tree (by the
 * overlay it has: `has` says which marker files exist), or else the default. `fromTree` says the
 * tree chose it, for the summary. A tree with both or neither overlay leaves the default, whose
 * checks then name what is missing.
 */
export function chooseOperatorLine(value: string | null | undefined, has?: Record<OperatorLine, boolean>): { line: OperatorLine; fromTree: boolean } {
  if ((value ?? "").trim() !== "" || !has) return { line: parseOperatorLine(value), fromTree: false };
  const lines = OPERATOR_LINES.filter((line) => has[line]);
  return lines.length === 1 ? { line: lines[0]!, fromTree: true } : { line: DEFAULT_OPERATOR_LINE, fromTree: false };
}
