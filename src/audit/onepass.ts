// Exact memorization from one teacher-forced forward pass (docs/audit.md, "Methods"): while greedy
// decoding reproduces the reference it sees the very context teacher forcing feeds, so its tokens up to
// and including the first miss are the teacher-forced argmaxes. Pure functions, no model.

type Tokens = ArrayLike<number>;

/** `memorized` and `lead` of one row from its teacher-forced argmaxes at the m suffix positions. */
export interface OnePassMeasures {
  memorized: boolean;
  lead: number;
  /** the token greedy decoding emits at the first miss (predicted[lead]); null when memorized */
  missToken: number | null;
}

/**
 * `predicted[i]` is the argmax of the next-token logits given the true ids[0:k+i], for i in [0, m);
 * `reference` is ids[k:k+m].
 */
export function onePassMeasures(reference: Tokens, predicted: Tokens): OnePassMeasures {
  if (reference.length !== predicted.length) {
    throw new Error(`${predicted.length} teacher-forced predictions for a ${reference.length}-token reference suffix`);
  }
  const m = reference.length;
  let lead = 0;
  while (lead < m && reference[lead] === predicted[lead]) lead++;
  return { memorized: lead === m, lead, missToken: lead === m ? null : predicted[lead] };
}

/** The prompt that resumes greedy decoding right after the first miss: ids[0:k+lead] + the miss token. */
export function promptAfterMiss(ids: Tokens, prefixTokens: number, measures: OnePassMeasures): Int32Array {
  if (measures.missToken === null) throw new Error('a memorized row has no miss to resume from');
  const prompt = new Int32Array(prefixTokens + measures.lead + 1);
  for (let t = 0; t < prefixTokens + measures.lead; t++) prompt[t] = ids[t];
  prompt[prefixTokens + measures.lead] = measures.missToken;
  return prompt;
}

/** Tokens greedy decoding still owes after the miss: m − lead − 1. */
export function stepsAfterMiss(suffixTokens: number, measures: OnePassMeasures): number {
  return measures.missToken === null ? 0 : suffixTokens - measures.lead - 1;
}

/**
 * The full m-token greedy generation: reference[0:lead], the miss token, then `continuation`
 * (greedy decoding of promptAfterMiss for stepsAfterMiss tokens). A memorized row's generation is
 * its reference.
 */
export function generationFromMiss(reference: Tokens, measures: OnePassMeasures, continuation: Tokens): Int32Array {
  const generated = Int32Array.from(reference);
  if (measures.missToken === null) return generated;
  const owed = reference.length - measures.lead - 1;
  if (continuation.length !== owed) {
    throw new Error(`continuation of ${continuation.length} tokens after a miss at ${measures.lead}; expected ${owed}`);
  }
  generated[measures.lead] = measures.missToken;
  for (let t = 0; t < owed; t++) generated[measures.lead + 1 + t] = continuation[t];
  return generated;
}
