import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { graphql } from 'graphql';
import { IsEmail, Length, Max } from 'class-validator';
import { Arg, Args, ArgsType, Field, InputType, Int, Query, Resolver } from 'type-graphql';
import { buildSubgraph } from './build-subgraph.js';
import { validateArgument } from './validate-args.js';

@InputType()
class ContactInput {
  @Field() @IsEmail() email!: string;
  @Field({ nullable: true }) @Length(1, 5) label?: string;
}

@ArgsType()
class PageArgs {
  @Field(() => Int, { nullable: true }) @Max(100) first?: number;
}

@Resolver()
class ContactResolver {
  @Query(() => Int)
  contacts(@Arg('input', () => [ContactInput]) input: ContactInput[], @Args() page: PageArgs): number {
    return Math.min(input.length, page.first ?? 20);
  }

  @Query(() => String)
  echo(@Arg('text') text: string): string {
    return text;
  }
}

describe('argument validation (validateFn)', () => {
  it('validates objects and lists of objects, and lets scalars through', async () => {
    const ok = Object.assign(new ContactInput(), { email: 'a@b.io' });
    const bad = Object.assign(new ContactInput(), { email: 'nope', label: 'far too long' });
    await expect(validateArgument(ok)).resolves.toBeUndefined();
    await expect(validateArgument([ok, null, 'x'])).resolves.toBeUndefined();
    await expect(validateArgument('text')).resolves.toBeUndefined();
    await expect(validateArgument(null)).resolves.toBeUndefined();
    await expect(validateArgument(bad)).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    await expect(validateArgument([ok, bad])).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('refuses invalid input and args through a built subgraph (missing optional fields are skipped), naming the properties', async () => {
    const { schema } = await buildSubgraph({ resolvers: [ContactResolver] });
    const run = (source: string) => graphql({ schema, source, contextValue: {} });
    expect((await run(`{ contacts(input: [{ email: "a@b.io" }], first: 3) }`)).data).toEqual({ contacts: 1 });
    expect((await run(`{ echo(text: "") }`)).data).toEqual({ echo: '' });
    const refused = await run(`{ contacts(input: [{ email: "a@b.io" }, { email: "x", label: "too long" }]) }`);
    expect(refused.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const problems =
      (refused.errors?.[0].extensions?.validationErrors as { property: string; value?: unknown; target?: unknown }[]) ?? [];
    expect(problems.map((p) => p.property).sort()).toEqual(['email', 'label']);
    // Neither the value nor the object is echoed back in the error.
    expect(problems.every((p) => p.value === undefined && p.target === undefined)).toBe(true);
    const tooMany = await run(`{ contacts(input: [{ email: "a@b.io" }], first: 101) }`);
    expect(tooMany.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});
