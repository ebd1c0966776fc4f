export { migrations } from './migrations';
export { todos } from './schema';
export type { OpenTodoStoreOptions, TodoStore } from './store';
export { getTodoStore, openTodoStore, TodoIdTakenError } from './store';
