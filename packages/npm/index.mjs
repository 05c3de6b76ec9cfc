import mock from './index.js';

export const { start, binary } = mock;
export default mock;
