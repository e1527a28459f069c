import { subjectOf } from './event-log.js';

describe('subjectOf', () => {
  it('reads userName, externalId and displayName of a body in any case, strings only', () => {
    expect(subjectOf({ UserName: 'jdoe@contoso.com', externalID: 'e-1', displayname: 'Jane', active: true })).toEqual({
      userName: 'jdoe@contoso.com',
      externalId: 'e-1',
      displayName: 'Jane',
    });
    expect(subjectOf({ userName: 42, externalId: null, displayName: { x: 1 } })).toEqual({});
  });

  it('reads nothing from what is not an object', () => {
    for (const body of [undefined, null, 'userName', 7, [{ userName: 'x' }]]) expect(subjectOf(body)).toEqual({});
  });
});
