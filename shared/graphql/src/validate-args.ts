import { validateOrReject, type ValidationError, type ValidatorOptions } from 'class-validator';
import { ArgumentValidationError } from 'type-graphql';

/** class-validator options for resolver arguments (type-graphql's defaults for `validate: {...}` included). */
export const ARGUMENT_VALIDATOR_OPTIONS: ValidatorOptions = {
  forbidUnknownValues: false,
  skipMissingProperties: true,
  validationError: { target: false, value: false },
};

const isObject = (value: unknown): value is object => value !== null && typeof value === 'object';

/**
 * type-graphql's argument validation, as its `validateFn`: input and args objects (and lists of
 * them) through class-validator, scalars untouched, failures as its ArgumentValidationError
 * (BAD_USER_INPUT with `fields`, see format-error.ts).
 *
 * The same rules as type-graphql's built-in `validate` setting; the difference is where
 * class-validator comes from. The built-in path runs `await import("class-validator")` for every
 * object argument of every resolver call, and with module-loader hooks registered (our
 * `--import ./scripts/register.js`) each such import is a synchronous round trip to the loader
 * thread: a measurable share of a subgraph's CPU per request. Imported once here instead.
 */
export async function validateArgument(value: unknown): Promise<void> {
  if (!isObject(value)) return;
  try {
    if (Array.isArray(value))
      await Promise.all(value.filter(isObject).map((item) => validateOrReject(item, ARGUMENT_VALIDATOR_OPTIONS)));
    else await validateOrReject(value, ARGUMENT_VALIDATOR_OPTIONS);
  } catch (error) {
    throw new ArgumentValidationError(error as ValidationError[]);
  }
}
