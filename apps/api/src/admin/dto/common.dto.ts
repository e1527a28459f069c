import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export const MAX_PAGE_SIZE = 200;

/** Nest's error body, as every admin route answers errors. */
export class ErrorDto {
  @ApiProperty({ example: 404 })
  statusCode: number;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    description: 'What went wrong; for validation errors, one message per invalid field, each starting with the field name',
    example: ['limit must not be greater than 200'],
  })
  message: string | string[];

  @ApiProperty({ example: 'Not Found' })
  error: string;
}

/** `page` (from 1) and `limit` (1-200, default 50) of a paged list. */
export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  page?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit?: number;
}

export interface Paging {
  page: number;
  limit: number;
  offset: number;
}

export function paging(query: PageQueryDto): Paging {
  const page = query.page ?? 1;
  const limit = query.limit ?? 50;
  return { page, limit, offset: (page - 1) * limit };
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  limit: number;
}

export function pageOf<S, T>(p: Paging, result: { total: number; items: S[] }, map: (item: S) => T): Page<T> {
  return { items: result.items.map(map), total: result.total, page: p.page, limit: p.limit };
}

/** The OpenAPI schema of a page of `type`. */
export function PageDto<T>(type: new () => T, name: string) {
  class PageOfType {
    @ApiProperty({ type: [type] })
    items: T[];

    @ApiProperty({ description: 'How many items match, on every page', example: 1 })
    total: number;

    @ApiProperty({ example: 1 })
    page: number;

    @ApiProperty({ example: 50 })
    limit: number;
  }
  Object.defineProperty(PageOfType, 'name', { value: name });
  return PageOfType;
}

/** `"true"`/`"false"` in a query string, as a boolean (anything else stays as it is and fails `@IsBoolean`). */
export const queryBoolean = Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value));

export const iso = (date: Date | null | undefined): string | null => (date ? date.toISOString() : null);
